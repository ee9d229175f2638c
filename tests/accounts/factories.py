import factory

from governance.accounts.models import Membership, ReviewerRole, RoleAssignment, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)


class ReviewerRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewerRole
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"reviewer-{n}")
    name = factory.LazyAttribute(lambda r: r.slug.replace("-", " ").capitalize())
    description = "Reviews model requests."


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(ReviewerRoleFactory)
