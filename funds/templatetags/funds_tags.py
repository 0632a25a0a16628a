"""Template tags of funds: the household page's 救助链 panel (funds/_household_funds.html)."""

from __future__ import annotations

from django import template

from funds.chain import Chain, assistance_chain
from people.models import Household

register = template.Library()


@register.simple_tag
def household_chain(household: Household, user) -> Chain:
    """`{% household_chain household user as chain %}`: what the household received that `user` may
    see (funds.chain.assistance_chain, a fixed number of queries)."""
    return assistance_chain(household, user)
