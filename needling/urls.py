from django.urls import path

from needling import views

app_name = "needling"

urlpatterns = [
    path("rules/", views.rule_catalogue, name="rules"),
    path("muscles/", views.muscle_catalogue, name="muscles"),
    path("policy/", views.policy, name="policy"),
    path("policy/<int:pk>/revoke/", views.stricter_rule_revoke, name="stricter_revoke"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
