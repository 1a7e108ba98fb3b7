"""The synthetic dataset renderer: determinism, image sanity and the command line."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from celestial.errors import UserError
from celestial.render import ALL_BODIES, KNOWN_BODIES, NOVEL_BODIES, render_body, render_dataset
from celestial.render import __main__ as render_cli
from celestial.render.bodies import look_of

SIZE = 64


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.jpg"))}


def _pixels(body: str, index: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng([seed, ALL_BODIES.index(body), index])
    return np.asarray(render_body(body, rng, SIZE), np.float32) / 255.0


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    render_dataset(out, images_per_class=2, seed=7, size=SIZE)
    return out


def test_writes_one_folder_per_class_with_numbered_jpegs(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == list(KNOWN_BODIES)
    assert sorted(_files(rendered)) == sorted(
        f"{body}/{body}_{i:04d}.jpg" for body in KNOWN_BODIES for i in range(2)
    )


def test_same_seed_gives_identical_bytes(rendered: Path, tmp_path: Path) -> None:
    render_dataset(tmp_path, images_per_class=2, seed=7, size=SIZE)
    assert _files(tmp_path) == _files(rendered)


def test_different_seed_gives_different_images(rendered: Path, tmp_path: Path) -> None:
    render_dataset(tmp_path, images_per_class=2, seed=8, size=SIZE)
    other, ours = _files(tmp_path), _files(rendered)
    assert other.keys() == ours.keys()
    assert all(other[name] != ours[name] for name in ours)


def test_an_image_does_not_depend_on_what_else_is_rendered(rendered: Path, tmp_path: Path) -> None:
    render_dataset(tmp_path / "more", images_per_class=3, seed=7, size=SIZE)
    render_dataset(tmp_path / "one", bodies=["Saturn"], images_per_class=2, seed=7, size=SIZE)
    more, one, ours = _files(tmp_path / "more"), _files(tmp_path / "one"), _files(rendered)
    assert all(more[name] == data for name, data in ours.items())
    assert one == {name: data for name, data in ours.items() if name.startswith("Saturn/")}


def test_jpegs_are_rgb_of_the_requested_size_without_metadata(rendered: Path) -> None:
    for path in rendered.rglob("*.jpg"):
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (SIZE, SIZE))
            assert "exif" not in image.info


@pytest.mark.parametrize("body", ALL_BODIES)
def test_every_body_renders_a_bright_centred_body_on_a_dark_sky(body: str) -> None:
    for index in range(3):
        pixels = _pixels(body, index)
        assert pixels.shape == (SIZE, SIZE, 3)
        corners = np.concatenate(
            [pixels[:6, :6], pixels[:6, -6:], pixels[-6:, :6], pixels[-6:, -6:]]
        )
        assert corners.mean() < 0.1, "the sky should be near-black"
        brightness = pixels.max(axis=2)
        assert np.percentile(brightness, 99) > 0.2, "the body should be bright"
        lit = brightness > 0.12
        assert lit.mean() > 0.04, "the body should cover a good part of the image"
        # A crescent's lit part sits off-centre, so allow ~0.3 of the size around the middle.
        rows, cols = np.nonzero(lit)
        centroid = np.array([rows.mean(), cols.mean()])
        assert np.abs(centroid - SIZE / 2).max() < 0.3 * SIZE, "the body should be centred-ish"


def test_classes_differ_in_colour() -> None:
    def redness(body: str) -> float:
        pixels = np.stack([_pixels(body, i) for i in range(4)])
        return float(pixels[..., 0].mean() - pixels[..., 2].mean())

    assert redness("Mars") > redness("Neptune") + 0.1


def test_look_alike_bodies_keep_the_tints_of_the_real_photos() -> None:
    """A small image can lose a body's pattern but keeps its tint: as in the real photos, Venus
    is far yellower than Pluto, and the Moon slightly warmer than Mercury, by more than a
    camera's white balance moves either."""

    def warmth(body: str) -> np.ndarray:  # log(red / blue) over each render's lit pixels
        renders = [_pixels(body, i) for i in range(8)]
        lit = [p[p.max(axis=2) > 0.15] for p in renders]
        return np.array([np.log(p[:, 0].mean() / p[:, 2].mean()) for p in lit])

    venus, pluto = warmth("Venus"), warmth("Pluto")
    assert venus.min() > pluto.max() + 0.2
    moon, mercury = warmth("Moon"), warmth("Mercury")
    assert moon.mean() - mercury.mean() > 2 * max(moon.std(), mercury.std())


def test_every_moon_shows_the_same_near_side() -> None:
    """Tidally locked: every render has the same maria, and faces the camera with the same
    hemisphere (libration aside); Mercury's surface differs from render to render."""
    points = np.random.default_rng(0).normal(size=(4000, 3)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)

    def likeness(body: str) -> float:
        surface = look_of(body).surface
        a, b = (surface(points, np.random.default_rng(s), 16.0).albedo.mean(axis=1) for s in (1, 2))
        return float(np.corrcoef(a, b)[0, 1])

    assert likeness("Moon") > 0.8 > 0.2 > likeness("Mercury")
    rng = np.random.default_rng(3)
    towards_camera = [look_of("Moon").orient(rng)[2, 0] for _ in range(50)]  # body x, world z
    assert min(towards_camera) > np.cos(np.radians(12))


def test_unknown_body_is_a_user_error_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"Pluto.*Titan"):
        render_dataset(tmp_path, bodies=["Earth", "Vulcan"], images_per_class=1, seed=0)
    assert list(tmp_path.iterdir()) == [], "nothing is written when a name is wrong"
    with pytest.raises(UserError, match="Vulcan"):
        render_body("Vulcan", np.random.default_rng(0))


def test_cli_renders_novel_bodies_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["--out", str(tmp_path), "--images-per-class", "1", "--seed", "1", "--size", "32"]
    render_cli.main([*args, "--novel"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NOVEL_BODIES)
    assert f"rendered {len(NOVEL_BODIES)} images" in capsys.readouterr().out


def tiny_render_args(out: Path) -> list[str]:
    return ["--out", str(out), "--images-per-class", "1", "--seed", "1", "--size", "32"]


def test_if_empty_keeps_existing_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    mine = tmp_path / "raw" / "cats" / "cat.jpg"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"not really a jpeg")
    args = tiny_render_args(tmp_path / "raw")
    render_cli.main([*args, "--if-empty"])
    assert [p.name for p in (tmp_path / "raw").iterdir()] == ["cats"]
    assert mine.read_bytes() == b"not really a jpeg"
    assert "keeping the existing data" in capsys.readouterr().out


def test_if_empty_renders_into_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "raw" / "empty_subfolder").mkdir(parents=True)
    args = tiny_render_args(tmp_path / "raw")
    render_cli.main([*args, "--bodies", "Moon", "--if-empty"])
    assert (tmp_path / "raw" / "Moon" / "Moon_0000.jpg").is_file()


def test_help_works_without_params_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        render_cli.main(["--help"])
    assert exit_info.value.code == 0
