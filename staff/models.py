"""Stores, departments and the people who work in them."""
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.models import TimeStampedModel


class Role(models.TextChoices):
    SPECIALIST = "specialist", _("客服专员")
    SUPERVISOR = "supervisor", _("客服主管")
    STORE_MANAGER = "store_manager", _("店长")
    FRONT_DESK = "front_desk", _("门市/前台")
    PHOTOGRAPHER = "photographer", _("摄影师")
    MAKEUP_ARTIST = "makeup_artist", _("化妆师")
    SELECTION_CONSULTANT = "selection_consultant", _("选片师")
    DESIGNER = "designer", _("设计师")
    CASHIER = "cashier", _("收银")
    GENERAL_MANAGER = "general_manager", _("总经理")


class DepartmentKind(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("客服部")
    SALES = "sales", _("门市部")
    PHOTOGRAPHY = "photography", _("摄影部")
    MAKEUP = "makeup", _("化妆部")
    SELECTION_DESIGN = "selection_design", _("选片/设计")
    FINANCE = "finance", _("财务")
    MANAGEMENT = "management", _("管理层")


class User(AbstractUser):
    """A login. What the person may see and do comes from their StaffMember profile."""

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Store(TimeStampedModel):
    code = models.CharField(_("门店编号"), max_length=16, unique=True)
    name = models.CharField(_("门店名称"), max_length=64)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("营业中"), default=True)
    # The store's sales rules, set by its manager on the packages page (orders).
    discount_limit = models.DecimalField(
        _("门市顾问可直接给的优惠（元）"), max_digits=10, decimal_places=2, default=1000,
        validators=[MinValueValidator(0)],
        help_text=_("超过此金额的优惠需店长审批后订单才生效"))
    auto_assign_customers = models.BooleanField(
        _("新客户自动分配客服"), default=False,
        help_text=_("开启：新登记的客户按均衡规则分给本店客服；关闭：留给客服主管分配"))
    document_terms = models.TextField(_("单据条款"), blank=True,
                                      help_text=_("印在定单确认书上的本店服务条款"))

    class Meta:
        verbose_name = _("门店")
        verbose_name_plural = _("门店")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="departments")
    kind = models.CharField(_("部门类型"), max_length=32, choices=DepartmentKind)
    name = models.CharField(_("部门名称"), max_length=64)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["store", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["store", "kind"], name="department_one_kind_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.store.name} · {self.name}"


class StaffMemberQuerySet(models.QuerySet):
    def active(self) -> "StaffMemberQuerySet":
        return self.filter(is_active=True, user__is_active=True)

    def with_role(self, role: str) -> "StaffMemberQuerySet":
        return self.filter(role=role)


class StaffMember(TimeStampedModel):
    """A person's place in the studio: store, department, role, level and skill."""

    user = models.OneToOneField(User, verbose_name=_("登录账号"), on_delete=models.CASCADE,
                                related_name="staff_profile")
    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.PROTECT,
                              related_name="staff")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT,
                                   related_name="staff", null=True, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role, db_index=True)
    level = models.PositiveSmallIntegerField(
        _("职级"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    skill_rating = models.PositiveSmallIntegerField(
        _("业务能力评分"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1-5 分，客服主管分配客户时参考"))
    mobile = models.CharField(_("手机号"), max_length=11, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)

    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["store", "role", "user__username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(skill_rating__gte=1, skill_rating__lte=5),
                                   name="staff_skill_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.user.display_name}({self.get_role_display()})"

    @property
    def sees_all_stores(self) -> bool:
        return self.role == Role.GENERAL_MANAGER


class MonthlyTarget(models.Model):
    """A month's sales targets (月度业绩指标) for a store, one of its departments or one person.

    Set before the month starts (L152 "每月25日前要分解下月业绩下达到部门及个人"); the rules of
    who may set which month live in staff.targets.target_set. A row with neither department nor
    person is the store's own target.
    """

    store = models.ForeignKey(Store, verbose_name=_("门店"), on_delete=models.CASCADE,
                              related_name="monthly_targets")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    department = models.ForeignKey(Department, verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="monthly_targets")
    person = models.ForeignKey(User, verbose_name=_("员工"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="monthly_targets")
    orders_target = models.PositiveIntegerField(_("订单数目标"), default=0)
    revenue_target = models.DecimalField(_("营业额目标（元）"), max_digits=12, decimal_places=2,
                                         default=0, validators=[MinValueValidator(0)])
    upsell_target = models.DecimalField(_("二消目标（元）"), max_digits=12, decimal_places=2,
                                        default=0, validators=[MinValueValidator(0)])
    performance_target = models.DecimalField(_("业绩目标（元）"), max_digits=12, decimal_places=2,
                                             default=0, validators=[MinValueValidator(0)])
    set_by = models.ForeignKey(User, verbose_name=_("设定人"), on_delete=models.PROTECT,
                               related_name="+")
    set_at = models.DateTimeField(_("设定时间"))

    class Meta:
        verbose_name = _("月度目标")
        verbose_name_plural = _("月度目标")
        ordering = ["-month", "store_id", "pk"]
        permissions = [
            ("view_supervisor_dashboard", _("查看客服主管看板")),
            ("view_manager_dashboard", _("查看店长经营看板")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(department__isnull=True) | models.Q(person__isnull=True),
                name="target_department_or_person_not_both"),
            models.CheckConstraint(
                condition=models.Q(revenue_target__gte=0, upsell_target__gte=0,
                                   performance_target__gte=0),
                name="target_amounts_not_negative"),
            # One row per (store, month, department, person). NULLs are distinct in a plain
            # unique index, so each of the three kinds of row gets its own partial index.
            models.UniqueConstraint(
                fields=["store", "month"],
                condition=models.Q(department__isnull=True, person__isnull=True),
                name="target_once_per_store_month"),
            models.UniqueConstraint(
                fields=["store", "month", "department"],
                condition=models.Q(department__isnull=False),
                name="target_once_per_department_month"),
            models.UniqueConstraint(
                fields=["store", "month", "person"],
                condition=models.Q(person__isnull=False),
                name="target_once_per_person_month"),
        ]

    def __str__(self) -> str:
        who = self.person or self.department or self.store
        return f"{self.month:%Y-%m} {who}"
