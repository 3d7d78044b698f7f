from django.conf import settings


def navigation(request) -> dict:
    return {"clinic_name": settings.CLINIC_NAME}
