import factory

from governance.events.models import Webhook


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    name = factory.Sequence(lambda n: f"hook {n}")
    url = "https://receiver.example.com/hook"
    events = factory.LazyFunction(list)
