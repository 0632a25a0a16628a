"""Every write of funds and materials. One transaction each, keyword-only, actor checked here.

- allocations.py   资金指标 and what batches draw on them
- eligibility.py   whom a program pays and how much; the policy amounts of 临时救助
- batches.py       disbursement batches (steps of funds.workflows.batch_workflow)
- applications.py  临时救助 applications (steps of funds.workflows.application_workflow)
- materials.py     warehouses and stock

State changes are the declared steps of funds/workflows.py: `Workflow.run` locks the row, checks
the state, the condition and who may, moves it and writes one log row; "only once" rules are
database constraints whose breach becomes a Chinese message. `from funds import services` and
`services.batch_review(...)` keep working: the public names are re-exported here.
"""

from funds.services.allocations import allocation_create, allocation_drawn, allocation_remaining
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

__all__ = [
    "BATCH_JOB_KIND",
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
    "batch_approve",
    "batch_cancel",
    "batch_fill",
    "batch_generate",
    "batch_mark_failed",
    "batch_mark_paid",
    "batch_review",
    "dibao_standard",
    "eligible_payments",
    "expense_amount",
    "households_for_program",
    "is_urban_place",
    "required_level",
    "stock_balance_from_movements",
    "stock_distribute",
    "stock_receive",
    "township_limit",
    "warehouse_create",
]
