"""Default programs (../shared/DOMAIN.md "Money") and winter material items. Administrators change
their rules and amounts in the admin; the amounts here are examples."""

from decimal import Decimal

from django.db import migrations

PROGRAMS = [
    # code, name, kind, categories, flags, min_age, basis, mode, fixed, (A, B, C), one_off
    ("dibao", "低保金", "cash", ["dibao"], [], None, "household", "by_class", "600", ("700", "600", "500"), False),
    ("tekun", "特困供养金", "cash", ["tekun"], [], None, "person", "fixed", "900", None, False),
    (
        "one_time_subsidy",
        "一次性生活补贴",
        "cash",
        ["dibao", "tekun"],
        [],
        None,
        "person",
        "fixed",
        "500",
        None,
        True,
    ),
    (
        "heating_subsidy",
        "取暖补贴",
        "cash",
        ["dibao", "tekun", "dibao_edge"],
        [],
        None,
        "household",
        "fixed",
        "300",
        None,
        False,
    ),
    ("elderly_allowance", "高龄补贴", "cash", [], [], 80, "person", "fixed", "100", None, False),
    ("temporary_assistance", "临时救助", "temporary", [], [], None, "person", "fixed", "0", None, False),
    (
        "winter_materials",
        "过冬物资（煤炭、棉被、棉衣、食品）",
        "in_kind",
        ["dibao", "tekun", "dibao_edge", "monitoring"],
        [],
        None,
        "household",
        "fixed",
        "0",
        None,
        False,
    ),
]

ITEMS = [
    ("coal", "煤炭", "吨"),
    ("quilt", "棉被", "床"),
    ("cotton_clothing", "棉衣", "件"),
    ("food", "食品（米面油）", "份"),
]


def load(apps, schema_editor):
    Program = apps.get_model("funds", "Program")
    MaterialItem = apps.get_model("funds", "MaterialItem")
    for code, name, kind, cats, flags, min_age, basis, mode, fixed, classes, one_off in PROGRAMS:
        a, b, c = (Decimal(x) for x in classes) if classes else (None, None, None)
        Program.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "categories": cats,
                "flags": flags,
                "min_age": min_age,
                "amount_basis": basis,
                "amount_mode": mode,
                "amount_fixed": Decimal(fixed),
                "amount_class_a": a,
                "amount_class_b": b,
                "amount_class_c": c,
                "one_off": one_off,
            },
        )
    materials = Program.objects.get(code="winter_materials")
    for code, name, unit in ITEMS:
        MaterialItem.objects.get_or_create(code=code, defaults={"name": name, "unit": unit, "program": materials})


def unload(apps, schema_editor):
    apps.get_model("funds", "MaterialItem").objects.filter(code__in=[i[0] for i in ITEMS]).delete()
    apps.get_model("funds", "Program").objects.filter(code__in=[p[0] for p in PROGRAMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_allocations_batches_applications_materials")]
    operations = [migrations.RunPython(load, unload)]
