import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Case
from core.models import Store


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"测试门店{n}")
    city = "上海"
    region = "华东"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))
        if extracted and set(extracted) - {"store_staff"}:
            self.is_staff = True
        self.save()

    @factory.post_generation
    def stores(self, create, extracted, **kwargs):
        for store in extracted or ():
            store.staff.add(self)


class CaseFactory(factory.django.DjangoModelFactory):
    """A case row in state `new`. Use the services to move it; this only builds test data."""

    class Meta:
        model = Case

    number = factory.Sequence(lambda n: f"KS-20260101-{n + 1:04d}")
    title = "酸奶有异味"
    description = "顾客反映购买的酸奶打开后有异味。"
    channel = "hotline"
    category = "spoiled_expired"
    store = factory.SubFactory(StoreFactory)
    customer_name = "张三"
    customer_phone = "13812345678"
    received_at = factory.LazyFunction(timezone.now)


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny) PNG, as a phone would send one."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()


def jpeg_bytes(width: int = 4, height: int = 3) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()
