"""factory_boy factories shared by every test folder."""

from __future__ import annotations

import datetime as dt

import factory

from clinic.staff.models import DNCertification, Licence, Location, Room, User
from clinic.staff.roles import Role
from clinic.staff.services import staff_set_role
from patients.models import ConsentText

PASSWORD = "correct-horse-battery-staple"  # noqa: S105


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Location {n}")
    address = factory.Sequence(lambda n: f"{n} Main St, Springfield")
    phone = "(555) 555-0100"
    time_zone = "America/Los_Angeles"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(obj, create, extracted: Role | None, **kwargs):
        """UserFactory(role=Role.THERAPIST) puts the user in that role's group."""
        if create and extracted is not None:
            staff_set_role(user=obj, role=extracted)


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    user = factory.SubFactory(UserFactory)
    state = "CA"
    number = factory.Sequence(lambda n: f"PT{n:06d}")
    expires_on = dt.date(2028, 1, 31)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DNCertification

    user = factory.SubFactory(UserFactory)
    course = "Dry Needling Level 1"
    hours = 54
    certified_on = dt.date(2024, 1, 15)
    valid_until = dt.date(2028, 1, 14)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Patient"

    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Ient{n}")
    date_of_birth = dt.date(1980, 5, 17)
    phone = factory.Sequence(lambda n: f"(555) 010-{n:04d}")


# --- Patients: screening, consent, clinical record ------------------------------------------


class ScreeningFactory(factory.django.DjangoModelFactory):
    """A questionnaire with nothing to report (a healthy, willing adult able to consent)."""

    class Meta:
        model = "patients.ScreeningQuestionnaire"

    patient = factory.SubFactory(PatientFactory)
    taken_on = dt.date(2026, 3, 9)
    taken_by = factory.SubFactory(UserFactory)
    willing_to_proceed = True
    able_to_consent = True


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Consent"

    patient = factory.SubFactory(PatientFactory)
    text = factory.LazyFunction(lambda: ConsentText.objects.order_by("-version").first())
    signed_on = dt.date(2026, 3, 1)
    signer = "patient"
    signed_name = factory.LazyAttribute(lambda c: c.patient.full_name)
    witness = factory.SubFactory(UserFactory)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Condition"

    patient = factory.SubFactory(PatientFactory)
    icd10_code = "M54.2"
    description = "Cervicalgia"
    course = "chronic"
    recorded_by = factory.SubFactory(UserFactory)


def add_findings(questionnaire, n: int = 3) -> None:
    """n rows in each of the six lists, surgeries on dates out of id order (one tie)."""
    from patients import models

    sides = ("left", "right", "bilateral")
    for i in range(n):
        side = sides[i % 3]
        models.ImplantedDevice.objects.create(
            questionnaire=questionnaire, kind=("pump", "other")[i % 2], region="chest", side=side
        )
        models.Infection.objects.create(
            questionnaire=questionnaire, region="forearm", side=side, description=f"<b>{i}</b>"
        )
        models.Tumor.objects.create(questionnaire=questionnaire, region="thigh", side=side)
        models.Lymphedema.objects.create(
            questionnaire=questionnaire, limb="lower", side=sides[i % 2]
        )
        models.Surgery.objects.create(
            questionnaire=questionnaire,
            on=dt.date(2025, 1 + i % 2, 10),
            region="hip",
            side=side,
            joint_replacement=i % 2 == 0,
        )
        models.Varicosity.objects.create(questionnaire=questionnaire, region="leg", side=side)
