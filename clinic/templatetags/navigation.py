from django import template

from clinic.common.navigation import main_menu as build_menu

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    request = context["request"]
    return build_menu(request.user, request.path)
