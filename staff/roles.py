"""What each role may do: Django groups with permissions, kept in step with this table.

Data scope (which stores and customers a role sees) is decided in staff.scoping; this table
says which actions a role may take on what it sees.
"""
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .models import Role

_VIEW_CUSTOMERS = ["customers.view_customer"]
_VIEW_ORDERS = ["orders.view_package", "orders.view_order", "orders.view_orderstage",
                "orders.view_payment", "orders.view_stageevent"]
_CALL = ["callbacks.view_callbacktask", "callbacks.view_callbackrecord",
         "callbacks.add_callbackrecord", "callbacks.view_callbackscript"]
_LEAD_CALLS = [*_CALL, "callbacks.distribute_callbacktask", "callbacks.view_callback_summary",
               "callbacks.add_callbackscript", "callbacks.view_callbackcampaign",
               "callbacks.add_callbackcampaign", "callbacks.view_callbackpolicy",
               "callbacks.change_callbackpolicy", "studio.view_smsmessage"]
_COMPLAINTS = ["complaints.view_complaint", "complaints.add_complaint",
               "complaints.judge_complaint", "complaints.investigate_complaint",
               "complaints.propose_solution"]
# Only the supervisor approves a solution (L64 主管领导…选择最佳解决方案).
_LEAD_COMPLAINTS = [*_COMPLAINTS, "complaints.implement_complaint",
                    "complaints.view_complaint_statistics", "complaints.view_complaintpolicy",
                    "complaints.change_complaintpolicy"]
_MEMBERS = ["membership.view_memberaccount", "membership.view_membercard",
            "membership.view_pointsentry", "membership.view_segment", "membership.view_membertier"]
_MEMBER_DESK = [*_MEMBERS, "membership.add_membercard", "membership.change_membercard",
                "membership.redeem_points", "membership.view_referralcashback"]
_LEAD_MEMBERS = [*_MEMBER_DESK, "membership.adjust_points", "membership.add_segment",
                 "membership.change_segment", "membership.view_membership_statistics",
                 "membership.change_referralcashback", "membership.view_membershippolicy",
                 "membership.change_membershippolicy"]
_DESK_VIEW = ["frontdesk.view_booking", "frontdesk.view_gown", "frontdesk.view_outdoorlocation",
              "frontdesk.view_flowcard", "frontdesk.view_performancecredit", "frontdesk.view_rework",
              "frontdesk.view_productionitem", "frontdesk.view_walkout"]
_DESK = [*_DESK_VIEW, "frontdesk.add_booking", "frontdesk.change_booking", "frontdesk.add_flowcard",
         "frontdesk.add_rework", "frontdesk.change_rework", "frontdesk.change_productionitem",
         "frontdesk.add_productionitem", "frontdesk.add_walkout", "frontdesk.change_walkout"]
_DESK_LEAD = [*_DESK, "frontdesk.approve_rework", "frontdesk.add_gown", "frontdesk.change_gown",
              "frontdesk.add_outdoorlocation", "frontdesk.change_outdoorlocation",
              "frontdesk.view_schedulesettings", "frontdesk.change_schedulesettings"]
_STAFF_DIRECTORY = ["staff.view_store", "staff.view_department", "staff.view_staffmember"]
# Monthly targets are set by the store manager (L152); the dashboards are read-only pages.
_TARGETS = ["staff.add_monthlytarget", "staff.change_monthlytarget", "staff.view_monthlytarget"]
_DASHBOARDS = ["staff.view_supervisor_dashboard", "staff.view_manager_dashboard"]
# Webhooks for integrators: a store's endpoints and their delivery log, the manager's setting.
_WEBHOOKS = ["webhooks.view_webhookendpoint", "webhooks.add_webhookendpoint",
             "webhooks.change_webhookendpoint", "webhooks.delete_webhookendpoint",
             "webhooks.view_webhookdelivery"]
# Messages to customers: who records an opt-out (回复TD退订 said on the phone, or at the desk),
# and the store's gateway templates, the manager's setting (messaging).
_OPT_OUTS = ["studio.view_smsoptout", "studio.add_smsoptout", "studio.delete_smsoptout"]
_TEMPLATES = ["messaging.view_messagetemplate", "messaging.add_messagetemplate",
              "messaging.change_messagetemplate", "messaging.delete_messagetemplate"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SPECIALIST: [*_VIEW_CUSTOMERS, "customers.add_customer", "customers.change_customer", *_VIEW_ORDERS,
                      "orders.record_stage", *_STAFF_DIRECTORY, *_CALL, *_COMPLAINTS, *_MEMBERS],
    Role.SUPERVISOR: [*_VIEW_CUSTOMERS, "customers.add_customer", "customers.change_customer",
                      "customers.assign_customer", "customers.merge_customer",
                      "customers.view_full_mobile", "customers.export_customer", *_VIEW_ORDERS,
                      "orders.record_stage", *_STAFF_DIRECTORY, *_LEAD_CALLS,
                      *_LEAD_COMPLAINTS, "complaints.approve_solution", *_LEAD_MEMBERS,
                      *_DESK_VIEW, "staff.view_monthlytarget", "staff.view_supervisor_dashboard",
                      *_OPT_OUTS],
    Role.FRONT_DESK: [*_VIEW_CUSTOMERS, "customers.add_customer", "customers.import_customer",
                      "customers.change_customer",
                      "customers.view_full_mobile", *_VIEW_ORDERS, "orders.add_order",
                      "orders.change_order", "orders.record_stage", "orders.take_payment",
                      *_STAFF_DIRECTORY, *_CALL, "studio.view_smsmessage",
                      "complaints.view_complaint", "complaints.add_complaint", *_MEMBER_DESK,
                      *_DESK, *_OPT_OUTS],
    Role.STORE_MANAGER: [*_VIEW_CUSTOMERS, "customers.add_customer", "customers.import_customer",
                         "customers.change_customer",
                         "customers.assign_customer", "customers.view_full_mobile",
                         "customers.export_customer", "customers.merge_customer", *_VIEW_ORDERS,
                         "orders.add_order", "orders.change_order", "orders.record_stage",
                         "orders.take_payment", "orders.approve_discount", "orders.add_package",
                         "orders.change_package", *_STAFF_DIRECTORY, "staff.change_staffmember",
                         *_LEAD_CALLS, *_LEAD_COMPLAINTS, *_LEAD_MEMBERS, *_DESK_LEAD, *_TARGETS,
                         *_DASHBOARDS, *_WEBHOOKS, *_OPT_OUTS, *_TEMPLATES],
    Role.PHOTOGRAPHER: [*_VIEW_ORDERS, "orders.record_stage", "frontdesk.view_booking"],
    Role.MAKEUP_ARTIST: [*_VIEW_ORDERS, "orders.record_stage", "frontdesk.view_booking"],
    Role.SELECTION_CONSULTANT: [*_VIEW_CUSTOMERS, *_VIEW_ORDERS, "orders.record_stage"],
    Role.DESIGNER: [*_VIEW_ORDERS, "orders.record_stage"],
    Role.CASHIER: [*_VIEW_CUSTOMERS, *_VIEW_ORDERS, "orders.take_payment", *_MEMBER_DESK,
                   "frontdesk.view_flowcard", "frontdesk.view_performancecredit"],
    Role.GENERAL_MANAGER: [*_VIEW_CUSTOMERS, "customers.add_customer", "customers.import_customer",
                           "customers.change_customer",
                           "customers.assign_customer", "customers.view_full_mobile",
                           "customers.export_customer", "customers.merge_customer", *_VIEW_ORDERS,
                           "orders.add_order", "orders.change_order", "orders.record_stage",
                           "orders.take_payment", "orders.approve_discount", "orders.add_package",
                           "orders.change_package", *_STAFF_DIRECTORY,
                           "staff.add_store", "staff.change_store", "staff.add_staffmember",
                           "staff.change_staffmember", "staff.add_department",
                           "staff.change_department", "staff.view_user", "staff.add_user",
                           "staff.change_user", *_LEAD_CALLS, *_LEAD_COMPLAINTS,
                           *_LEAD_MEMBERS, *_DESK_LEAD, *_TARGETS, *_DASHBOARDS,
                           *_WEBHOOKS, *_OPT_OUTS, *_TEMPLATES],
}

# Roles that work in the Django admin as well as in the back office pages.
ADMIN_ROLES = {Role.STORE_MANAGER, Role.GENERAL_MANAGER}


def group_name(role: str) -> str:
    return str(Role(role).label)


def roles_sync_groups() -> None:
    """Create one group per role and give it exactly the permissions in ROLE_PERMISSIONS."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        query = Q()
        for perm in perms:
            app_label, codename = perm.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
