"""Reading official early warnings in CAP 1.2 (Common Alerting Protocol), as China's national profile
GB/T 35965.1-2018 publishes them (国家突发事件预警信息发布系统, 12379), into a `CapAlert`.

Only reading happens here: what a message does to the cold-wave levels is patrols.services
(`cap_receive`). The XML is parsed with defusedxml (no DTD, no entities, no external references)
after its size is checked; anything that is not a CAP alert, or lacks identifier, sender, sent,
status or msgType, raises `CapError` with a Chinese message for the sender.

- `severity`: Extreme → 红色, Severe → 橙色, Moderate → 黄色, Minor → 蓝色. A colour given in an
  `eventCode` or `parameter` (value 红色/橙色/黄色/蓝色, or Red/Orange/Yellow/Blue) wins.
- `references` (Update and Cancel): "sender,identifier,sent" triples separated by spaces.
- `geocode`: a 6-digit GB/T 2260 code; 510000 is the province 51, 510100 the city 5101 (the
  significant code used by relief.models.Region). A 12-digit code ending in 000000 is its county.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _

from patrols.choices import ColdWaveLevel

CAP_NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
MAX_CAP_BYTES = 512 * 1024  # a real message is a few kilobytes

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")

SEVERITY_LEVELS = {
    "Extreme": ColdWaveLevel.RED,
    "Severe": ColdWaveLevel.ORANGE,
    "Moderate": ColdWaveLevel.YELLOW,
    "Minor": ColdWaveLevel.BLUE,
}
COLOUR_LEVELS = {
    "红色": ColdWaveLevel.RED,
    "红": ColdWaveLevel.RED,
    "red": ColdWaveLevel.RED,
    "橙色": ColdWaveLevel.ORANGE,
    "橙": ColdWaveLevel.ORANGE,
    "orange": ColdWaveLevel.ORANGE,
    "黄色": ColdWaveLevel.YELLOW,
    "黄": ColdWaveLevel.YELLOW,
    "yellow": ColdWaveLevel.YELLOW,
    "蓝色": ColdWaveLevel.BLUE,
    "蓝": ColdWaveLevel.BLUE,
    "blue": ColdWaveLevel.BLUE,
}
#: events that set a cold-wave level (寒潮, 低温, 低温雨雪冰冻, 霜冻, 道路结冰 ...); others are stored only
COLD_EVENT_WORDS = ("寒潮", "低温", "冰冻", "霜冻", "道路结冰", "cold wave", "cold")

_CODE6 = re.compile(r"^\d{6}$")
_CODE12 = re.compile(r"^\d{6}0{6}$")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


class CapError(ValueError):
    """A message that cannot be read as CAP; `str(error)` says why, in Chinese."""


@dataclass(frozen=True)
class CapReference:
    sender: str
    identifier: str
    sent: str

    @property
    def key(self) -> str:
        return message_key(self.sender, self.identifier)


@dataclass(frozen=True)
class CapInfo:
    event: str
    severity: str
    level: int | None  # the cold-wave level (colour first, else severity); None when neither says
    onset: datetime.datetime | None
    effective: datetime.datetime | None
    expires: datetime.datetime | None
    headline: str
    areas: tuple[str, ...]  # geocode values as given

    @property
    def is_cold(self) -> bool:
        event = self.event.lower()
        return any(word in event for word in COLD_EVENT_WORDS)


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime.datetime
    status: str
    msg_type: str
    references: tuple[CapReference, ...] = ()
    infos: tuple[CapInfo, ...] = ()
    note: str = ""
    text: str = field(default="", repr=False)  # the XML as received, decoded

    @property
    def key(self) -> str:
        return message_key(self.sender, self.identifier)

    @property
    def cold_infos(self) -> tuple[CapInfo, ...]:
        return tuple(info for info in self.infos if info.is_cold)

    @property
    def is_cold(self) -> bool:
        return bool(self.cold_infos)

    @property
    def main_info(self) -> CapInfo | None:
        return (self.cold_infos or self.infos or (None,))[0]

    @property
    def areas(self) -> tuple[str, ...]:
        """Every area code named, in order, once."""
        infos = self.cold_infos or self.infos
        return tuple(dict.fromkeys(code for info in infos for code in info.areas))


@dataclass(frozen=True)
class AreaPlan:
    """What an Alert or Update says for one area: the level, from when and until when."""

    geocode: str
    level: int | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    headline: str


def area_plans(alert: CapAlert) -> list[AreaPlan]:
    """One plan per area code named in the cold-wave infos (several infos, e.g. one per language,
    naming the same area: the highest level), in the order named."""
    plans: dict[str, AreaPlan] = {}
    for info in alert.cold_infos:
        starts_at = info.onset or info.effective or alert.sent
        for geocode in info.areas:
            known = plans.get(geocode)
            if known is None or (info.level or 0) > (known.level or 0):
                plans[geocode] = AreaPlan(geocode, info.level, starts_at, info.expires, info.headline)
    return list(plans.values())


def message_key(sender: str, identifier: str) -> str:
    """What identifies a CAP message: its sender and identifier (neither may contain a comma)."""
    return f"{sender},{identifier}"


def region_code(geocode: str) -> str | None:
    """The significant region code of a GB/T 2260 geocode: 510121 → 510121, 510100 → 5101,
    510000 → 51, 510121000000 → 510121; None for anything else (a township code, a typo)."""
    geocode = geocode.strip()
    if _CODE12.match(geocode):
        geocode = geocode[:6]
    if not _CODE6.match(geocode) or geocode[:2] == "00":
        return None
    if geocode.endswith("0000"):
        return geocode[:2]
    if geocode.endswith("00"):
        return geocode[:4]
    return geocode


def decode(data: bytes) -> str:
    """The message as text, in the encoding its XML declaration names (GB2312 and GBK occur)."""
    m = _ENCODING.match(data[:200])
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def _local(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _sep, name = tag[1:].partition("}")
        return ns, name
    return None, tag


def _text(element, name: str) -> str:
    child = next((c for c in element if _local(c.tag)[1] == name), None)
    return (child.text or "").strip() if child is not None else ""


def _children(element, name: str) -> list:
    return [c for c in element if _local(c.tag)[1] == name]


def _value_pairs(element, name: str) -> list[tuple[str, str]]:
    return [(_text(c, "valueName"), _text(c, "value")) for c in _children(element, name)]


def parse_datetime(value: str, label: str, *, required: bool = False) -> datetime.datetime | None:
    """A CAP dateTime: 2026-01-10T08:00:00+08:00 (the offset is required)."""
    if not value:
        if required:
            raise CapError(_("CAP 消息缺少 %(name)s") % {"name": label})
        return None
    try:
        at = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CapError(
            _("CAP 消息的 %(name)s 不是有效的时间：%(value)s") % {"name": label, "value": value[:40]}
        ) from None
    if at.tzinfo is None:
        raise CapError(_("CAP 消息的 %(name)s 须带时区（如 +08:00）") % {"name": label})
    return at


def colour_level(pairs: list[tuple[str, str]]) -> int | None:
    """The level a colour in eventCode / parameter values names (红色, Orange, 寒潮黄色预警 ...)."""
    for _name, value in pairs:
        value = value.strip().lower()
        if value in COLOUR_LEVELS:
            return COLOUR_LEVELS[value]
        for word in ("红色", "橙色", "黄色", "蓝色"):
            if word in value:
                return COLOUR_LEVELS[word]
    return None


def _info(element) -> CapInfo:
    severity = _text(element, "severity")
    pairs = _value_pairs(element, "eventCode") + _value_pairs(element, "parameter")
    level = colour_level(pairs) or SEVERITY_LEVELS.get(severity)
    areas = tuple(
        value.strip()
        for area in _children(element, "area")
        for _name, value in _value_pairs(area, "geocode")
        if value.strip()
    )
    return CapInfo(
        event=_text(element, "event")[:64],
        severity=severity[:16],
        level=int(level) if level else None,
        onset=parse_datetime(_text(element, "onset"), "onset"),
        effective=parse_datetime(_text(element, "effective"), "effective"),
        expires=parse_datetime(_text(element, "expires"), "expires"),
        headline=_text(element, "headline")[:255],
        areas=areas,
    )


def _references(value: str) -> tuple[CapReference, ...]:
    out = []
    for triple in value.split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(
                _("CAP 消息的 references 格式不正确（应为以空格分隔的“sender,identifier,sent”）：%(value)s")
                % {"value": triple[:80]}
            )
        out.append(CapReference(*parts))
    return tuple(out)


def parse_stored(text: str) -> CapAlert:
    """Read again a message stored as text (CapMessage.raw_xml): its declaration may name GB2312,
    the text is Unicode now."""
    return parse(_DECLARATION.sub("", text, count=1).encode("utf-8"))


def parse(data: bytes) -> CapAlert:
    """Read one CAP alert. Raises CapError (a Chinese message) for anything else."""
    if not data or not data.strip():
        raise CapError(_("未收到 CAP 消息内容"))
    if len(data) > MAX_CAP_BYTES:
        raise CapError(_("CAP 消息过大（上限 %(n)d KB）") % {"n": MAX_CAP_BYTES // 1024})
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise CapError(_("CAP 消息含有不允许的 DTD 或实体声明")) from None
    except ElementTree.ParseError as exc:
        raise CapError(_("不是有效的 XML：%(error)s") % {"error": str(exc)[:120]}) from None
    ns, name = _local(root.tag)
    if name != "alert" or ns not in CAP_NAMESPACES:
        raise CapError(_("不是 CAP 1.2 预警消息（根元素应为 CAP 命名空间中的 alert）"))
    values = {key: _text(root, key) for key in ("identifier", "sender", "sent", "status", "msgType")}
    for key, value in values.items():
        if not value:
            raise CapError(_("CAP 消息缺少 %(name)s") % {"name": key})
    if len(values["identifier"]) > 255 or len(values["sender"]) > 255:
        raise CapError(_("CAP 消息的 identifier 或 sender 过长"))
    if "," in values["identifier"] or "," in values["sender"]:
        raise CapError(_("CAP 消息的 identifier 和 sender 不能含有逗号"))
    if values["status"] not in STATUSES:
        raise CapError(_("CAP 消息的 status 无效：%(value)s") % {"value": values["status"][:20]})
    if values["msgType"] not in MSG_TYPES:
        raise CapError(_("CAP 消息的 msgType 无效：%(value)s") % {"value": values["msgType"][:20]})
    references = _references(_text(root, "references"))
    if values["msgType"] in ("Update", "Cancel") and not references:
        raise CapError(_("更新（Update）或撤销（Cancel）消息须在 references 中注明原消息"))
    return CapAlert(
        identifier=values["identifier"],
        sender=values["sender"],
        sent=parse_datetime(values["sent"], "sent", required=True),
        status=values["status"],
        msg_type=values["msgType"],
        references=references,
        infos=tuple(_info(info) for info in _children(root, "info")),
        note=_text(root, "note")[:255],
        text=decode(data),
    )
