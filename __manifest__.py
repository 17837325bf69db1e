# Copyright 2026 crm_relationship_manager authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "CRM Relationship Manager",
    "summary": "Who is responsible for each customer and lead, "
    "and moving that responsibility safely",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "crm_relationship_manager authors",
    "website": "https://github.com/crm-relationship-manager/crm_relationship_manager",
    "depends": ["crm", "mail", "contacts"],
    "data": [
        "security/crm_relationship_security.xml",
        "security/ir.model.access.csv",
        "data/crm_relationship_role_data.xml",
        "views/crm_relationship_views.xml",
        "views/crm_relationship_role_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/crm_relationship_update_views.xml",
        "wizards/crm_lead_update_assignment_views.xml",
        "views/crm_relationship_menus.xml",
        "data/mail_template_task_follow.xml",
        "views/mail_activity_views.xml",
        "data/res_partner_import_cron.xml",
        "wizards/res_partner_transfer_views.xml",
        "wizards/res_partner_import_customers_views.xml",
    ],
    "demo": [
        "demo/crm_relationship_demo.xml",
        "demo/res_partner_import_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_relationship_manager/static/tests/tours/*.js",
        ],
    },
    "pre_init_hook": "pre_init_hook",
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
