"""The village (or township) of each row: a 12-digit (or 9-digit) code, or a name within the user's
region, with the township where two villages share a name. Anything outside the user's region is
refused as such, not as unknown. One query for the whole file (`load`); the rows are then answered
from memory.

A 县（市、区） or 乡镇（街道） column, where the file has one, bounds the row: a county that is not the
user's (or inside their region) refuses the row naming the county written, and a village name or
code is only ever resolved inside the row's written county and township, never into a same-named
village elsewhere.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from people.roster.cells import CellError
from people.roster.columns import ExamplePlace
from people.roster.errors import RowError
from people.roster.rows import RosterRow
from relief.models import Region, User
from relief.regions import Level, official_names, short_name
from relief.scoping import in_scope


def _county_names(county: str) -> set[str]:
    """The names a county cell may mean: as written, and with 县, 区 or 市 added (金堂 -> 金堂县)."""
    return {county, county + "县", county + "区", county + "市"}


def _written_names(value: str) -> tuple[str, ...]:
    """The short names a written village name may mean (五里 -> 五里, 五里村, 五里社区; 城关社区 also
    城关, the short name of 城关居委会)."""
    extra = (value[:-2],) if value.endswith("社区") and len(value) > 2 else ()
    return (value, value + "村", value + "社区", *extra)


def county_label(codes: list[str], resolver: VillageResolver) -> str:
    return "、".join(resolver.by_code[c].name for c in codes if c in resolver.by_code)


class VillageResolver:
    """Village (or township) of a row: a 12-digit (or 9-digit) code, or a name within the user's
    region; anything outside it is refused. `load` looks up every village the file names in one
    query; `resolve` then answers from memory."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.cache: dict[tuple[str, str, str], Region | RowError] = {}
        self.by_code: dict[str, Region] = {}
        self.by_name: dict[str, list[Region]] = {}
        self.counties: dict[str, list[Region]] = {}  # county name -> the counties of that name

    def load(self, places: set[tuple[str, str, str]]) -> None:
        """Fetch, in one query, every region the (village, township, county) triples can mean, in
        scope or not (an out-of-scope match is reported as such, not as unknown)."""
        scope = self.user.scope_code or ""
        codes = {v for v, _t, _c in places if v.isdigit() and len(v) in (9, 12)}
        codes |= {c for _v, _t, c in places if c.isdigit() and len(c) == 6}
        if any(not v for v, _t, _c in places) and len(scope) in (9, 12):
            codes.add(scope)
        names = set()
        for value, _t, _c in places:
            if value and not value.isdigit():
                # official names end in 村民委员会, 居委会, ...: match them by their short name
                names |= {o for n in _written_names(value) for o in official_names(n)}
        counties = {n for _v, _t, c in places if c and not c.isdigit() for n in _county_names(c)}
        if not codes and not names and not counties:
            return
        regions = Region.objects.filter(
            Q(code__in=codes)
            | Q(name__in=names, level__in=[Level.VILLAGE, Level.TOWNSHIP])
            | Q(name__in=counties, level=Level.COUNTY)
        ).select_related("parent")
        for region in regions:
            self.by_code[region.code] = region
            if region.level in (Level.VILLAGE, Level.TOWNSHIP):
                for key in {region.name, short_name(region.name)}:
                    self.by_name.setdefault(key, []).append(region)
            if region.level == Level.COUNTY and region.name in counties:
                self.counties.setdefault(region.name, []).append(region)

    def resolve(self, value: str, township: str, county: str = "") -> Region:
        key = (value, township, county)
        if key not in self.cache:
            self.cache[key] = self._resolve(value, township, county)
        found = self.cache[key]
        if isinstance(found, RowError):
            raise CellError(found, found.code)
        return found

    def _county_codes(self, county: str) -> list[str] | RowError:
        """The codes of the written county that the user may import into, or the reason the row is
        refused (naming the county as written)."""
        if county.isdigit():
            found = [self.by_code[county]] if len(county) == 6 and county in self.by_code else []
        else:
            found = [r for n in _county_names(county) for r in self.counties.get(n, ())]
        if not found:
            return RowError(_("未找到县（市、区）“%(v)s”，该行未导入") % {"v": county}, "county_unknown")
        scope = self.user.scope_code or ""
        mine = [
            r.code
            for r in found
            if in_scope(self.user, r.code)
            or (scope and scope.startswith(r.code) and in_scope(self.user, scope))
        ]
        if not mine:
            return RowError(
                _("县（市、区）“%(v)s”不是您所在的县（市、区），该行未导入") % {"v": county},
                "county_mismatch",
            )
        return mine

    def _resolve(self, value: str, township: str, county: str = "") -> Region | RowError:
        counties: list[str] | None = None
        if county:
            found = self._county_codes(county)
            if isinstance(found, RowError):
                return found
            counties = found
        region = self._resolve_in_scope(value, township, counties)
        if (
            isinstance(region, Region)
            and counties is not None
            and not region.code.startswith(tuple(counties))
        ):
            return RowError(
                _("村（社区）“%(v)s”不在县（市、区）“%(c)s”内") % {"v": value or region.name, "c": county},
                "village_other_county",
            )
        return region

    def _resolve_in_scope(self, value: str, township: str, counties: list[str] | None) -> Region | RowError:
        if not value:
            scope = self.user.scope_code or ""
            if len(scope) in (9, 12) and scope in self.by_code:
                return self.by_code[scope]
            return RowError(_("缺少村（社区）"), "village_missing")
        if value.isdigit():
            if len(value) not in (9, 12):
                return RowError(
                    _("区划代码“%(v)s”应为12位（村/社区）或9位（乡镇/街道）") % {"v": value},
                    "region_code_invalid",
                )
            region = self.by_code.get(value)
            if region is None:
                return RowError(_("区划代码“%(v)s”不存在") % {"v": value}, "region_code_unknown")
            if not in_scope(self.user, region.code):
                return RowError(
                    _("村（社区）“%(v)s”不在您的管辖范围内") % {"v": value}, "village_out_of_scope"
                )
            if region.is_retired:
                return RowError(
                    _("村（社区）“%(v)s”已撤销，请填写现行的村（社区）") % {"v": value}, "village_retired"
                )
            return region
        found = {r.code: r for n in _written_names(value) for r in self.by_name.get(n, ())}
        # a retired village is never offered to new rows; only if nothing current matches, say so
        candidates = [r for r in found.values() if not r.is_retired]
        if found and not candidates:
            return RowError(
                _("村（社区）“%(v)s”已撤销，请填写现行的村（社区）") % {"v": value}, "village_retired"
            )
        if counties is not None:
            candidates = [r for r in candidates if r.code.startswith(tuple(counties))]
            if not candidates:
                return RowError(
                    _("县（市、区）“%(c)s”内未找到名为“%(v)s”的村（社区）")
                    % {"c": county_label(counties, self), "v": value},
                    "village_unknown",
                )
        if township:
            if township.isdigit():
                candidates = [r for r in candidates if r.parent_id == township]
            else:
                parents = {township, township + "镇", township + "乡", township + "街道"}
                candidates = [r for r in candidates if r.parent is not None and r.parent.name in parents]
        mine = sorted(
            (r for r in candidates if in_scope(self.user, r.code)), key=lambda r: (-r.level, r.code)
        )[:3]
        if not mine:
            if candidates:
                return RowError(
                    _("村（社区）“%(v)s”不在您的管辖范围内") % {"v": value}, "village_out_of_scope"
                )
            return RowError(_("未找到名为“%(v)s”的村（社区）") % {"v": value}, "village_unknown")
        villages = [r for r in mine if r.level == Level.VILLAGE] or mine
        if len(villages) > 1:
            return RowError(
                _("有多个名为“%(v)s”的村（社区），请填写乡镇或12位区划代码") % {"v": value},
                "village_ambiguous",
            )
        return villages[0]

    def apply(self, row: RosterRow) -> None:
        """Set the row's village, or put the reason among its errors where the column stands."""
        try:
            row.village = self.resolve(row.village_text, row.township_text, row.county_text)
        except CellError as exc:
            column = "county" if exc.code.startswith("county_") else row.village_field
            row.add_error(RowError(str(exc), exc.code, column), at=row.village_error_at)


def resolve_villages(actor: User, rows: list[RosterRow]) -> None:
    """Set every row's village (one query for the file), or put the reason among the row's errors."""
    resolver = VillageResolver(actor)
    resolver.load({(r.village_text, r.township_text, r.county_text) for r in rows})
    for row in rows:
        resolver.apply(row)


def example_places(user: User, count: int = 2) -> list[ExamplePlace]:
    """A few of the user's own villages (a village user's own), for the template's example rows."""
    villages = (
        Region.objects.visible_to(user)
        .filter(level=Level.VILLAGE)
        .select_related("parent")
        .order_by("code")[:count]
    )
    return [
        ExamplePlace(
            code=v.code,
            village=v.name,
            township=v.parent.name if v.parent and v.parent.level == Level.TOWNSHIP else "",
        )
        for v in villages
    ]
