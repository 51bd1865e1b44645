"""Customers: who they are, where they came from, and which specialist looks after them."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.models import Store
from studio.models import TimeStampedModel

from .validators import mask_mobile, validate_mobile


class Title(models.TextChoices):
    MR = "mr", _("先生")
    MS = "ms", _("女士")
    MISS = "miss", _("小姐")
    PARENT = "parent", _("小朋友家长")


def title_after(name: str, title: str) -> str:
    """The label of `title` to follow `name`, or "" if the name already ends with a title."""
    if any((name or "").endswith(str(label)) for label in Title.labels):
        return ""
    return str(Title(title).label) if title in Title.values else ""


class SourceChannel(models.TextChoices):
    WALK_IN = "walk_in", _("到店咨询")
    REFERRAL = "referral", _("老客户转介绍")
    ONLINE = "online", _("网络推广")
    PHONE = "phone", _("电话咨询")
    WEDDING_FAIR = "wedding_fair", _("婚博会/展会")
    PARTNER = "partner", _("合作商家")
    OTHER = "other", _("其他")


class ContactTime(models.TextChoices):
    ANY = "any", _("不限")
    MORNING = "morning", _("上午 9:00-12:00")
    AFTERNOON = "afternoon", _("下午 14:00-18:00")
    EVENING = "evening", _("傍晚 18:00-21:00")


class CustomerQuerySet(models.QuerySet):
    def assigned_to_user(self, user) -> "CustomerQuerySet":
        return self.filter(assigned_to=user)

    def unassigned(self) -> "CustomerQuerySet":
        return self.filter(assigned_to__isnull=True)


class Customer(TimeStampedModel):
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="customers")
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("称呼"), max_length=16, choices=Title, default=Title.MS)
    mobile = models.CharField(_("手机号"), max_length=11, validators=[validate_mobile])
    # The customer's WeChat, linked on their own page: messages go there first, SMS the fallback.
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, blank=True, editable=False,
                                     default="", db_default="")
    wechat = models.CharField(_("微信号"), max_length=64, blank=True)
    source = models.CharField(_("客户来源"), max_length=32, choices=SourceChannel,
                              default=SourceChannel.WALK_IN)
    referrer = models.ForeignKey("self", verbose_name=_("介绍人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="referrals")
    wedding_on = models.DateField(_("婚期"), null=True, blank=True)
    child_birthday_on = models.DateField(_("宝宝生日"), null=True, blank=True)
    preferred_contact_time = models.CharField(_("方便联系时间"), max_length=16,
                                              choices=ContactTime, default=ContactTime.ANY)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责客服"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_customers",
    )
    is_vip = models.BooleanField(_("VIP 会员"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    # Two records of one person, merged by a supervisor: this one is kept only to answer with
    # a link to the record everything moved to (customers.services.customers_merge).
    merged_into = models.ForeignKey("self", verbose_name=_("已合并到"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_records",
                                    editable=False)
    merged_at = models.DateTimeField(_("合并时间"), null=True, blank=True, editable=False)
    # The API's Idempotency-Key (or the register form's one-time key) that created the record:
    # the same request sent twice registers one customer (customers.services.customer_register).
    request_key = models.CharField(_("请求编号"), max_length=80, null=True, blank=True,
                                   unique=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-created_at"]
        permissions = [
            ("view_full_mobile", _("查看完整手机号")),
            ("assign_customer", _("分配客户给客服")),
            ("export_customer", _("导出客户资料")),
            ("merge_customer", _("合并重复客户")),
            ("import_customer", _("从 Excel 导入客户")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "mobile"], name="customer_mobile_unique_per_store",
                                    violation_error_message=_("本门店已有使用该手机号的客户。")),
        ]
        indexes = [
            models.Index(fields=["store", "assigned_to"]),
            models.Index(fields=["mobile"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.title_suffix}"

    @property
    def title_suffix(self) -> str:
        """The title to put after the name — none when the name already ends with one (a
        customer registered as 周女士 is 周女士, not 周女士女士)."""
        return title_after(self.name, self.title)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class CustomerNote(models.Model):
    """A dated note on a customer's file (what was said on the phone, a wish, a warning)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="notes_log")
    text = models.TextField(_("内容"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户备注")
        verbose_name_plural = _("客户备注")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.text[:30]


class CustomerAssignment(models.Model):
    """History of who looked after a customer: every assignment change is one row."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE,
                                 related_name="assignments")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("原负责客服"),
                                  null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("新负责客服"),
                                on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("客户分配记录")
        verbose_name_plural = _("客户分配记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_user_id} → {self.to_user_id}"
