import pytest

from tests.factories import StoreFactory, UserFactory


@pytest.fixture
def store(db):
    return StoreFactory(code="SH001", name="上海徐汇店", city="上海", region="华东")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="BJ001", name="北京朝阳店", city="北京", region="华北")


@pytest.fixture
def store_staff(store):
    return UserFactory(username="store_staff", roles=["store_staff"], stores=[store])


@pytest.fixture
def other_store_staff(other_store):
    return UserFactory(username="store_staff_b", roles=["store_staff"], stores=[other_store])


@pytest.fixture
def handler(db):
    return UserFactory(username="handler", roles=["handler"])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", roles=["supervisor"])


@pytest.fixture
def legal_pr(db):
    return UserFactory(username="legal_pr", roles=["legal_pr"])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=["manager"])


@pytest.fixture
def users(store_staff, handler, supervisor, legal_pr, manager):
    return {
        "store_staff": store_staff,
        "handler": handler,
        "supervisor": supervisor,
        "legal_pr": legal_pr,
        "manager": manager,
    }
