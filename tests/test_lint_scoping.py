"""scripts/lint_scoping.py: the lint that keeps region scoping behind one door and writes in services.

Unit tests run the linter on small apps written to tmp_path; the last test runs it over this
repository, which must be clean."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "lint_scoping.py"

_spec = importlib.util.spec_from_file_location("lint_scoping", SCRIPT)
lint_scoping = importlib.util.module_from_spec(_spec)
sys.modules["lint_scoping"] = lint_scoping
_spec.loader.exec_module(lint_scoping)

MODELS = """
    from django.db import models
    from relief.scoping import ScopedManager, ScopedQuerySet, region_field


    class BaseQuerySet(ScopedQuerySet):
        pass


    class PaymentQuerySet(BaseQuerySet):
        def paid(self):
            return self.filter(status="paid")


    class Payment(models.Model):
        region = region_field()
        objects = ScopedManager.from_queryset(PaymentQuerySet)()


    class Program(models.Model):
        objects = ScopedManager()


    class Household(models.Model):
        objects = PaymentQuerySet.as_manager()


    class Config(models.Model):
        objects = models.Manager()


    class AbstractScoped(models.Model):
        objects = ScopedManager()

        class Meta:
            abstract = True


    class Inherited(AbstractScoped):
        pass
"""


def write(root: Path, rel: str, source: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path, "funds/models.py", MODELS)
    write(tmp_path, "funds/__init__.py", "")
    return tmp_path


def lint(root: Path, *paths: str) -> list[str]:
    return lint_scoping.lint(root, [Path(p) for p in paths] or None)


def test_unscoped_query_in_views_is_reported(repo):
    write(
        repo,
        "funds/views.py",
        """
        from funds.models import Payment


        def payment_detail(request, pk):
            payment = Payment.objects.get(pk=pk)
            rows = Payment.objects.filter(status="paid").order_by("id")
            first = Payment._default_manager.first()
            return payment, rows, first
        """,
    )
    problems = lint(repo)
    assert [p.split(": ", 1)[0] for p in problems] == [
        "funds/views.py:5",
        "funds/views.py:6",
        "funds/views.py:7",
    ]
    assert "funds.Payment" in problems[0] and "visible_to" in problems[0]


@pytest.mark.parametrize(
    "module",
    ["funds/api.py", "funds/exports.py", "funds/tasks.py", "funds/api/payments.py", "funds/views/pages.py"],
)
def test_every_kind_of_door_module_is_checked(repo, module):
    write(repo, module, "from funds.models import Program\n\nPROGRAMS = Program.objects.all()\n")
    assert [p.split(": ", 1)[0] for p in lint(repo)] == [f"{module}:3"]


def test_other_modules_are_not_checked_for_queries(repo):
    write(repo, "funds/selectors.py", "from funds.models import Payment\n\nALL = Payment.objects.all()\n")
    assert lint(repo) == []


def test_scoped_forms_pass(repo):
    write(
        repo,
        "funds/views.py",
        """
        from django.db.models import Exists, OuterRef, Prefetch

        from funds.models import Config, Household, Payment
        from relief.scoping import access, get_visible_or_404


        def pages(request, pk):
            a = Payment.objects.visible_to(request.user).get(pk=pk)
            b = Payment.objects.select_related("batch").visible_to(request.user).paid().first()
            c = get_visible_or_404(Payment.objects.all(), request.user, pk=pk)
            d = access(Payment.objects.select_related("batch"), request.user, pk, for_write=True)
            e = Config.objects.get(pk=1)  # not region-scoped
            f = Household.objects.visible_to(request.user).prefetch_related(
                Prefetch("payments", queryset=Payment.objects.order_by("id"))
            )
            g = Household.objects.visible_to(request.user).filter(
                Exists(Payment.objects.filter(household=OuterRef("pk")))
            )
            h = Payment.objects.none()
            i = get_visible_or_404(helpers.with_totals(Payment.objects.all()), request.user, pk=pk)
            j = access(queryset=Payment.objects.all(), user=request.user, pk=pk)
            return a, b, c, d, e, f, g, h, i, j
        """,
    )
    assert lint(repo) == []


def test_scoped_viewset_queryset_and_scoped_field_pass(repo):
    write(
        repo,
        "funds/api.py",
        """
        from rest_framework import serializers, viewsets

        from funds.models import Household, Payment
        from relief.api.fields import ScopedRelatedField
        from relief.api.mixins import ScopedViewSetMixin


        class WriteViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
            pass


        class PaymentViewSet(WriteViewSet):
            queryset = Payment.objects.select_related("batch")


        class PaymentSerializer(serializers.ModelSerializer):
            household = ScopedRelatedField(queryset=Household.objects.all())


        class LeakyViewSet(viewsets.ModelViewSet):
            queryset = Payment.objects.all()
        """,
    )
    assert [p.split(": ", 1)[0] for p in lint(repo)] == ["funds/api.py:21"]


def test_only_the_queryset_argument_of_the_door_is_scoped(repo):
    write(
        repo,
        "funds/views.py",
        """
        from funds.models import Household, Payment
        from relief.scoping import get_visible_or_404


        def page(request, pk):
            return get_visible_or_404(
                Household.objects.all(), request.user, pk=Payment.objects.get(pk=pk).household_id
            )
        """,
    )
    assert [p.split(": ", 1)[0] for p in lint(repo)] == ["funds/views.py:7"]


def test_model_names_resolve_through_imports(repo):
    write(
        repo,
        "funds/views.py",
        """
        from funds import models as fm
        from funds.models import Payment as P
        from .models import Inherited
        import funds.models


        def pages(request):
            return (
                P.objects.all(),
                fm.Program.objects.count(),
                Inherited.objects.filter(x=1),
                funds.models.Household.objects.exists(),
            )
        """,
    )
    assert [p.split(": ", 1)[0] for p in lint(repo)] == [
        "funds/views.py:9",
        "funds/views.py:10",
        "funds/views.py:11",
        "funds/views.py:12",
    ]


def test_a_name_not_imported_from_the_models_is_not_a_model(repo):
    write(repo, "funds/views.py", "Payment = object()\n\nrows = Payment.objects.all()\n")
    assert lint(repo) == []


def test_allow_comment_lets_one_line_through(repo):
    write(
        repo,
        "funds/tasks.py",
        """
        from funds.models import Payment


        def payment_remind(payment_id):
            payment = Payment.objects.get(pk=payment_id)  # lint: allow-unscoped (system task: no user)
            # lint: allow-unscoped (the task's own row, by id)
            again = Payment.objects.filter(pk=payment_id).first()
            other = Payment.objects.get(pk=payment_id)
            return payment, again, other
        """,
    )
    assert [p.split(": ", 1)[0] for p in lint(repo)] == ["funds/tasks.py:8"]


def test_allow_comment_needs_a_reason_and_the_right_kind(repo):
    write(
        repo,
        "funds/views.py",
        """
        from funds.models import Payment

        a = Payment.objects.get(pk=1)  # lint: allow-unscoped
        b = Payment.objects.get(pk=2)  # lint: allow-save (wrong kind)
        """,
    )
    problems = lint(repo)
    assert [p.split(": ", 1)[0] for p in problems] == [
        "funds/views.py:3",
        "funds/views.py:3",
        "funds/views.py:4",
    ]
    assert any("needs a reason" in p for p in problems)


def test_save_outside_services_is_reported(repo):
    write(
        repo,
        "funds/views.py",
        """
        def payment_pay(request, payment):
            payment.status = "paid"
            payment.save(update_fields=["status"])
            payment.save(*args, **kwargs)
        """,
    )
    write(repo, "funds/forms.py", "def clean(obj):\n    obj.save()\n")
    problems = lint(repo)
    assert [p.split(": ", 1)[0] for p in problems] == [
        "funds/forms.py:2",
        "funds/views.py:3",
        "funds/views.py:4",
    ]
    assert "services.py" in problems[1]


def test_save_in_services_and_models_passes(repo):
    write(repo, "funds/services.py", "def payment_pay(*, actor, payment):\n    payment.save()\n")
    write(repo, "funds/services/batches.py", "def batch_close(*, actor, batch):\n    batch.save()\n")
    write(
        repo,
        "funds/models.py",
        MODELS + "\n\n    def touch(obj):\n        obj.save()\n",
    )
    assert lint(repo) == []


def test_saves_that_are_not_domain_writes_pass(repo):
    write(
        repo,
        "funds/views.py",
        """
        from openpyxl import Workbook


        def page(request, form, serializer, wb, upload, job, storage, visit_form):
            form.save()
            visit_form.save()
            serializer.save(actor=request.user)
            wb.save("x.xlsx")
            Workbook().save("y.xlsx")
            upload.file.save("a.xlsx", b"", save=False)
            job.result_file.save("b.xlsx", b"", save=False)
            storage.save("c", b"")
            hazard.evidence.save("photo.jpg", content, save=False)
            image.save(buffer, format="PNG")
            self.get_serializer(data={}).save()


        class Thing:
            def save(self, *args, **kwargs):
                super().save(*args, **kwargs)
        """,
    )
    assert lint(repo) == []


def test_allow_list_and_allow_save_comment(repo):
    write(repo, "funds/demo.py", "def seed(obj):\n    obj.save()\n")
    write(repo, "funds/admin.py", "def action(obj):\n    obj.save()\n")
    write(repo, "funds/management/commands/fix.py", "def handle(obj):\n    obj.save()\n")
    write(repo, "funds/migrations/0002_x.py", "def forwards(obj):\n    obj.save()\n")
    write(repo, "tests/test_x.py", "def test(obj):\n    obj.save()\n")
    write(
        repo,
        "funds/jobs.py",
        "def run(job):\n    job.save()  # lint: allow-save (the job runner's own bookkeeping)\n",
    )
    assert lint(repo) == []


def test_command_line_exit_codes_and_format(repo):
    write(repo, "funds/views.py", "from funds.models import Payment\n\nx = Payment.objects.all()\n")
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=repo, capture_output=True, text=True, check=False, timeout=60
    )
    assert run.returncode == 1
    assert run.stdout.startswith("funds/views.py:3: unscoped query")
    clean = subprocess.run(
        [sys.executable, str(SCRIPT), "funds/models.py"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (clean.returncode, clean.stdout) == (0, "")


def test_refuses_to_run_where_there_are_no_scoped_models(tmp_path):
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60
    )
    assert run.returncode == 2
    assert "no region-scoped models" in run.stderr


def test_repository_is_clean():
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_models_in_a_module_models_py_re_exports_are_scoped_and_may_be_saved_by_its_services(repo):
    write(
        repo,
        "funds/material_models.py",
        """
        from django.db import models
        from relief.scoping import ScopedManager


        class Stock(models.Model):
            objects = ScopedManager()
        """,
    )
    write(
        repo,
        "funds/views.py",
        """
        from funds.material_models import Stock
        from funds.models import Stock as Same


        def stock_list(request):
            return Stock.objects.all(), Same.objects.all(), Stock.objects.visible_to(request.user)
        """,
    )
    write(repo, "funds/material_services.py", "def stock_receive(*, actor, stock):\n    stock.save()\n")
    problems = lint(repo)
    assert [p.split(": ", 1)[0] for p in problems] == ["funds/views.py:6", "funds/views.py:6"]
    assert all("funds.Stock" in p for p in problems)
