from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("集中慰问")

    def ready(self) -> None:
        from campaigns import dashboard, sweeps  # noqa: F401  (dashboard: registers its figures)
        from campaigns.chain import KIND, STATES, campaign_entries
        from campaigns.demo import seed
        from campaigns.services import cash_hold_rule
        from funds.chain import register_collector
        from funds.services.holds import register_hold_rule
        from relief import demo, navigation
        from relief.uploads import register_download

        navigation.register(_("集中慰问"), "campaigns:index", order=25)
        register_download("campaigns.campaignhousehold", "photo")
        register_collector(campaign_entries, kinds={KIND: _("集中慰问")}, states=STATES)
        demo.register(25, "campaigns", seed)
        register_hold_rule(cash_hold_rule)
        sweeps.register()
