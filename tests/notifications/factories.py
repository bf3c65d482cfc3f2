import factory

from notifications.alerts import Alert
from notifications.models import Channel, Route


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"channel-{n}")
    kind = "webhook"
    url = "http://127.0.0.1:9/hook"
    language = "en"


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"route-{n}")
    kinds = factory.LazyFunction(lambda: ["case_red", "sla_warning", "sla_breach", "escalation"])

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        for channel in extracted or ():
            self.channels.add(channel)


class AlertFactory(factory.Factory):
    class Meta:
        model = Alert

    kind = "sla_breach"
    dedupe_key = factory.Sequence(lambda n: f"sla:{n}:breach")
    case_number = factory.Sequence(lambda n: f"KS-20260101-{n + 1:04d}")
    title = "酸奶有异味"
    risk_level = "red"
    store_code = "SH001"
    store_name = "上海徐汇店"
    region = "华东"
    sla = "first_response"
    due_at = None
    escalation_level = None
    url = "/admin/cases/case/1/change/"
