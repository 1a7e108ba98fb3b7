"""The labelling interface: one choice per known label, "New body" with its name, "Not a body".

The labeller sees the image, the model's answer pre-selected, and confirms or corrects it. A body
the model does not know is "New body" plus its name in the `new_label` box, which appears when
that choice is picked; the name becomes a folder of data/raw. The pull command reads annotations
by these names, so they are constants here.
"""

import re
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

IMAGE = "image"  # the image tag, and the task data field holding the image's URL
CHOICE = "body"  # the choices
NEW_LABEL = "new_label"  # the new body's name
NEW_BODY = "New body"
NOT_A_BODY = "Not a body"
# A new body's name becomes a folder name: letters, digits, spaces, "_" and "-", 40 at most.
LABEL_PATTERN = re.compile(r"[A-Z][A-Za-z0-9 _-]{0,39}")


def label_config(labels: Iterable[str]) -> str:
    """Label Studio's XML labelling config for these known labels."""
    choices = "\n".join(f"    <Choice value={quoteattr(label)}/>" for label in sorted(labels))
    return f"""<View>
  <Header value="$headline" size="5"/>
  <Image name="{IMAGE}" value="${IMAGE}" zoom="true" zoomControl="true"/>
  <Choices name="{CHOICE}" toName="{IMAGE}" choice="single-radio" showInline="true"
           required="true">
{choices}
    <Choice value="{NEW_BODY}" hint="None of the bodies above: type its name below"/>
    <Choice value="{NOT_A_BODY}" hint="Not a celestial body, or unusable: left out of the data"/>
  </Choices>
  <View visibleWhen="choice-selected" whenTagName="{CHOICE}" whenChoiceValue="{NEW_BODY}">
    <Header value="Name of the new body (it becomes a label, e.g. Ceres)" size="6"/>
    <TextArea name="{NEW_LABEL}" toName="{IMAGE}" rows="1" maxSubmissions="1" editable="true"
              placeholder="e.g. Ceres"/>
  </View>
</View>"""


def config_labels(config: str) -> list[str]:
    """The known labels a labelling config offers (its choices but the two special ones)."""
    values = re.findall(r"<Choice value=\"([^\"]*)\"", config)
    return [value for value in values if value not in (NEW_BODY, NOT_A_BODY)]


def label_name(text: str) -> str:
    """A typed name as a label: spaces tidied, each word capitalised ("ceres" -> "Ceres")."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split())
