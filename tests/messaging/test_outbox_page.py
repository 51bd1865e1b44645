"""The SMS outbox page (messaging.views): what each message was for, in words."""
import pytest
from django.urls import reverse

from studio.models import SmsMessage

pytestmark = pytest.mark.django_db


def test_the_outbox_names_what_each_message_was_for_not_its_code(client, supervisor, store):
    for purpose in ("callback:thanks", "callback:survey", "reminder", "production:pickup"):
        SmsMessage.objects.create(mobile="13812345678", body=purpose, purpose=purpose,
                                  store_id=store.pk)
    client.force_login(supervisor)
    html = client.get(reverse("sms_outbox")).content.decode()
    for label in ("回访感谢短信", "满意度调查短信", "到店前一天提醒", "取件通知"):
        assert f'<td class="text-nowrap">{label}</td>' in html
    for code in ("callback:thanks", "production:pickup"):  # (the body cell holds the code here)
        assert f'<td class="text-nowrap">{code}</td>' not in html
