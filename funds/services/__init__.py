"""Every write of funds and materials. One transaction each, keyword-only, actor checked here.

- allocations.py   资金指标 and what batches draw on them
- eligibility.py   whom a program pays and how much; the policy amounts of 临时救助
- batches.py       disbursement batches (steps of funds.workflows.batch_workflow)
- bank.py          the bank file's download, the bank's return file, re-issue of failed lines
- applications.py  临时救助 applications (steps of funds.workflows.application_workflow)
- materials.py     warehouses and stock
- recoveries.py    追回 of money paid wrongly: registered, returned, written off, cancelled

State changes are the declared steps of funds/workflows.py: `Workflow.run` locks the row, checks
the state, the condition and who may, moves it and writes one log row; "only once" rules are
database constraints whose breach becomes a Chinese message. `from funds import services` and
`services.batch_review(...)` keep working: the public names are re-exported here.
"""

from funds.services.allocations import (
    allocation_cancel,
    allocation_correct,
    allocation_create,
    allocation_drawn,
    allocation_remaining,
    temporary_funds_check,
)
from funds.services.applications import (
    application_approve,
    application_emergency_pay,
    application_notice_close,
    application_notice_start,
    application_objection,
    application_pay,
    application_reject,
    application_review,
    application_submit,
)
from funds.services.bank import bank_file_log, bank_file_refusal, bank_return_import, batch_reissue
from funds.services.batches import (
    BATCH_JOB_KIND,
    batch_approve,
    batch_cancel,
    batch_fill,
    batch_generate,
    batch_mark_failed,
    batch_mark_paid,
    batch_review,
)
from funds.services.eligibility import (
    dibao_standard,
    eligible_payments,
    expense_amount,
    households_for_program,
    is_urban_place,
    required_level,
    township_limit,
)
from funds.services.materials import (
    stock_balance_from_movements,
    stock_distribute,
    stock_receive,
    warehouse_create,
)
from funds.services.recoveries import recovery_cancel, recovery_open, recovery_return, recovery_waive

__all__ = [
    "BATCH_JOB_KIND",
    "allocation_cancel",
    "allocation_correct",
    "allocation_create",
    "allocation_drawn",
    "allocation_remaining",
    "application_approve",
    "application_emergency_pay",
    "application_notice_close",
    "application_notice_start",
    "application_objection",
    "application_pay",
    "application_reject",
    "application_review",
    "application_submit",
    "bank_file_log",
    "bank_file_refusal",
    "bank_return_import",
    "batch_approve",
    "batch_cancel",
    "batch_fill",
    "batch_generate",
    "batch_mark_failed",
    "batch_mark_paid",
    "batch_reissue",
    "batch_review",
    "dibao_standard",
    "eligible_payments",
    "expense_amount",
    "households_for_program",
    "is_urban_place",
    "recovery_cancel",
    "recovery_open",
    "recovery_return",
    "recovery_waive",
    "required_level",
    "stock_balance_from_movements",
    "stock_distribute",
    "stock_receive",
    "temporary_funds_check",
    "township_limit",
    "warehouse_create",
]
