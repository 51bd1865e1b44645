"""The documents a customer takes home: the order confirmation (定单确认书) and the numbered
receipt (收据) of every payment and refund, as printable pages and the receipt as a PDF (pages
and API).

Each is found through its `*_visible_to` selector (404 out of scope) and needs the permission
to see orders (the confirmation) or payments (receipts). Showing a customer's data on a
document is in the audit log (VIEW_CUSTOMER), as the customer page is.
"""
import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, DecimalField, F, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.settings import api_settings

from studio.api_views import ScopedDetailApi
from studio.audit import audit_record
from studio.models import AuditAction
from studio.money import money_in_words
from studio.serializers import OutputSerializer

from .models import ZERO, PaymentKind, PaymentMethod, Receipt, StageKind
from .selectors import orders_visible_to, payments_visible_to

PAGE_SIZES = ("a4", "a5")


def receipts_visible_to(user) -> QuerySet[Receipt]:
    """Receipts of the payments `user` may see (payments_visible_to decides)."""
    return Receipt.objects.filter(payment__in=payments_visible_to(user))


def _receipts_for_documents(user) -> QuerySet[Receipt]:
    return receipts_visible_to(user).select_related(
        "store", "payment__received_by", "payment__order__customer", "payment__order__package")


@dataclass(frozen=True)
class ReceiptFigures:
    """What a receipt says of its order: what is due now, what was paid up to and including this
    payment (a later payment is not counted; a refund counts negative), and what was still owed."""

    total_due: Decimal
    paid: Decimal
    owed: Decimal


def receipt_figures(receipt: Receipt) -> ReceiptFigures:
    payment, order = receipt.payment, receipt.payment.order
    signed = Case(When(kind=PaymentKind.REFUND, then=-F("amount")), default=F("amount"),
                  output_field=DecimalField(max_digits=12, decimal_places=2))
    paid = order.payments.filter(pk__lte=payment.pk).aggregate(
        paid=Coalesce(Sum(signed), ZERO))["paid"]
    return ReceiptFigures(total_due=order.total_due, paid=paid, owed=order.total_due - paid)


def _page_size(request: HttpRequest, default: str) -> str:
    size = request.GET.get("size", "").lower()
    return size if size in PAGE_SIZES else default


def _audit_document(request, customer, document: str, **detail) -> None:
    audit_record(request=request, action=AuditAction.VIEW_CUSTOMER, obj=customer,
                 detail={"document": document, **detail})


# --- the order confirmation ----------------------------------------------------------------------

def package_includes(package) -> list[str]:
    """What a package gives, in words, for the customer's confirmation: a count left at 0 (not
    set for the package) is left out, not promised as "拍摄景点 0 个"."""
    parts = []
    if package.photos_count:
        parts.append(_("精修 %(n)s 张") % {"n": package.photos_count})
    if package.album_photos:
        parts.append(_("入册 %(n)s 张") % {"n": package.album_photos})
    if package.album:
        parts.append(_("相册：%(album)s") % {"album": package.album})
    if package.outfits:
        parts.append(_("服装 %(n)s 套") % {"n": package.outfits})
    if package.scenes:
        parts.append(_("拍摄景点 %(n)s 个") % {"n": package.scenes})
    if package.extra_photo_price:
        parts.append(_("加选每张 %(price)s") % {"price": f"¥{package.extra_photo_price:,.2f}"})
    return parts


@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_document(request: HttpRequest, pk: int) -> HttpResponse:
    """定单确认书/预约单: the store, the customer, the package and what it includes, the money
    (price, discount, add-ons, due, paid, owed), the planned date, the store's terms and the
    signature lines; printed on A4 (A5 with ?size=a5)."""
    order = get_object_or_404(orders_visible_to(request.user).select_related(
        "customer", "store", "package", "consultant"), pk=pk)
    _audit_document(request, order.customer, "order_confirmation", order=order.pk)
    stages = list(order.stages.order_by("sequence"))
    addons = list(order.addons.all())
    reveal = request.user.has_perm("customers.view_full_mobile")
    return render(request, "orders/document_confirmation.html", {
        "order": order, "store": order.store, "customer": order.customer,
        "mobile": order.customer.mobile if reveal else order.customer.masked_mobile,
        "stages": [StageKind(s.kind).label for s in stages],
        "addons": addons, "includes": package_includes(order.package),
        "spending": [s for s in stages if s.extra_amount],  # 加选/选片消费 at a stage
        "payments": list(order.payments.select_related("receipt")),
        "size": _page_size(request, "a4"), "now": timezone.now(),
    })


# --- receipts --------------------------------------------------------------------------------------

def _receipt_context(receipt: Receipt) -> dict:
    payment = receipt.payment
    return {"receipt": receipt, "payment": payment, "order": payment.order,
            "customer": payment.order.customer, "store": receipt.store,
            "is_refund": payment.kind == PaymentKind.REFUND,
            "amount_in_words": money_in_words(payment.amount),
            "figures": receipt_figures(receipt)}


@login_required
@permission_required("orders.view_payment", raise_exception=True)
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """收据 of one payment or refund, to print (A5; A4 with ?size=a4) or send as a PDF."""
    found = get_object_or_404(_receipts_for_documents(request.user), pk=pk)
    _audit_document(request, found.payment.order.customer, "receipt", receipt=found.number)
    return render(request, "orders/document_receipt.html", {
        **_receipt_context(found), "size": _page_size(request, "a5")})


@login_required
@permission_required("orders.view_payment", raise_exception=True)
def receipt_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_receipts_for_documents(request.user), pk=pk)
    _audit_document(request, found.payment.order.customer, "receipt_pdf", receipt=found.number)
    return _pdf_response(found)


def _pdf_response(found: Receipt) -> HttpResponse:
    response = HttpResponse(receipt_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{found.number}.pdf"'
    return response


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A5 PDF, in reportlab's built-in Chinese font (STSong-Light, a CID font
    every PDF reader has: no font file is shipped or embedded). The receipt's number is also the
    document's subject, for finding it among files."""
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    context = _receipt_context(receipt)
    payment, order, store, figures = (context["payment"], context["order"], context["store"],
                                      context["figures"])
    customer = context["customer"]
    title = _("退款收据") if context["is_refund"] else _("收据")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(f"{title} {receipt.number}")
    pdf.setSubject(receipt.number)
    pdf.setAuthor(store.name)
    width, height = A5
    left, right = 14 * mm, width - 14 * mm
    y = height - 18 * mm
    pdf.setFont(font, 15)
    pdf.drawCentredString(width / 2, y, store.name)
    pdf.setFont(font, 8.5)
    for line in simpleSplit(" ".join(filter(None, [store.address, store.phone and _(
            "电话：%(phone)s") % {"phone": store.phone}])), font, 8.5, right - left):
        y -= 4.5 * mm
        pdf.drawCentredString(width / 2, y, line)
    y -= 10 * mm
    pdf.setFont(font, 17)
    pdf.drawCentredString(width / 2, y, title)
    y -= 8 * mm
    pdf.setFont(font, 9.5)
    pdf.drawString(left, y, _("No. %(number)s") % {"number": receipt.number})
    pdf.drawRightString(right, y, _("开具时间：%(at)s") % {
        "at": timezone.localtime(receipt.issued_at).strftime("%Y-%m-%d %H:%M")})
    y -= 3 * mm
    pdf.line(left, y, right, y)
    amount_label = _("退款金额") if context["is_refund"] else _("收款金额")
    rows = [
        (_("客户"), str(customer)),
        (_("订单"), f"#{order.pk} {order.package.name}"),
        (_("款项"), payment.get_kind_display()),
        (amount_label, f"¥{payment.amount:,.2f}" + (_("（已退还客户）") if context["is_refund"]
                                                     else "")),
        (_("大写"), (_("人民币（退款）%(words)s") if context["is_refund"] else _("人民币%(words)s"))
         % {"words": context["amount_in_words"]}),
        (_("支付方式"), payment.get_method_display()),
        (_("收款时间") if not context["is_refund"] else _("退款时间"),
         timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M")),
        (_("经手人"), payment.received_by.display_name),
        (_("订单应收"), f"¥{figures.total_due:,.2f}"),
        (_("累计已收（含本笔）"), f"¥{figures.paid:,.2f}"),
        (_("尚欠"), f"¥{max(figures.owed, ZERO):,.2f}"),
    ]
    if payment.note:
        rows.append((_("备注"), payment.note))
    label_width = 32 * mm
    for label, value in rows:
        lines = simpleSplit(str(value), font, 10.5, right - left - label_width) or [""]
        y -= 7 * mm
        pdf.setFont(font, 9.5)
        pdf.drawString(left, y, str(label))
        pdf.setFont(font, 10.5)
        for i, line in enumerate(lines):
            if i:
                y -= 5 * mm
            pdf.drawString(left + label_width, y, line)
    y -= 4 * mm
    pdf.line(left, y, right, y)
    y -= 14 * mm
    pdf.setFont(font, 10)
    pdf.drawString(left, y, _("收款单位（盖章）：") + "________________")
    y -= 10 * mm
    pdf.drawString(left, y, _("经手人签字：") + "____________")
    pdf.drawRightString(right, y, _("客户签字：") + "____________")
    pdf.setFont(font, 7.5)
    pdf.drawCentredString(width / 2, 10 * mm, _("本收据由系统开具，编号唯一；请妥善保存。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- the API ------------------------------------------------------------------------------------

class ReceiptSerializer(OutputSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    payment_kind = serializers.ChoiceField(choices=PaymentKind.choices, source="payment.kind",
                                           read_only=True)
    amount = serializers.DecimalField(source="payment.amount", max_digits=12, decimal_places=2,
                                      read_only=True)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, source="payment.method",
                                     read_only=True)
    paid_at = serializers.DateTimeField(source="payment.paid_at", read_only=True)
    order = serializers.IntegerField(source="payment.order_id", read_only=True)
    customer_name = serializers.CharField(source="payment.order.customer.name", read_only=True)
    amount_in_words = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ["id", "number", "store", "store_name", "payment", "payment_kind", "amount",
                  "method", "paid_at", "order", "customer_name", "issued_at", "amount_in_words"]

    def get_amount_in_words(self, receipt: Receipt) -> str:
        return money_in_words(receipt.payment.amount)


class _ReceiptApi(ScopedDetailApi):
    required_perm = "orders.view_payment"
    serializer_class = ReceiptSerializer
    selector = _receipts_for_documents
    document = "receipt"

    def get_object(self) -> Receipt:
        found = super().get_object()
        # A document naming its customer is audited, as the pages are (DESIGN principle 8).
        _audit_document(self.request, found.payment.order.customer, self.document,
                        receipt=found.number)
        return found


class ReceiptDetailApi(_ReceiptApi):
    """A receipt (收据) of a payment or refund: its number, store, the payment and its order."""

    summary = "收据"


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for application/pdf (the view answers the PDF itself)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else str(data).encode()


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
class ReceiptPdfApi(_ReceiptApi):
    """A receipt (收据) as a PDF to send to the customer."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, PdfRenderer]
    document = "receipt_pdf"
    summary = "收据 PDF"

    def retrieve(self, request: Request, *args, **kwargs) -> HttpResponse:
        return _pdf_response(self.get_object())
