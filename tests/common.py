# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared fixtures: two companies sharing a customer, reps, managers, admin.

``RelationshipCase`` is a TransactionCase; ``RelationshipHttpCase`` adds real
XML-RPC calls against the server started for the tests (see ``rpc_server``).
"""
import socket
import threading
import xmlrpc.client

import odoo
from odoo.tests import HttpCase, TransactionCase, new_test_user


def rpc_server_port():
    """Make sure an Odoo HTTP server of this process listens; return its port.

    Odoo's own runner (``--test-enable``) and ``pytest --odoo-http`` start one
    already. Otherwise one is started on a free port, so XML-RPC tests always
    talk to a real server sharing the test transaction (HttpCase test mode).
    """
    config = odoo.tools.config
    port = int(config.get("http_port") or 8069)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config["http_port"] = port
    from odoo.service import server

    server.load_server_wide_modules()
    threaded = server.ThreadedServer(odoo.http.root)
    threaded.http_spawn()
    _SERVERS.append(threaded)
    return port


_SERVERS = []
_LOCK = threading.Lock()


class RelationshipMixin:
    @classmethod
    def setup_relationship_data(cls):
        env = cls.env
        cls.company_a = env.company
        cls.company_a.name = "Company A"
        cls.company_b = env["res.company"].create({"name": "Company B"})
        cls.role_am = env.ref("crm_relationship_manager.role_account_manager")
        cls.role_cs = env["crm.relationship.role"].search([("name", "=", "Support Lead")]) or \
            env["crm.relationship.role"].create({"name": "Support Lead", "sequence": 50})
        for company in cls.company_a | cls.company_b:
            company.relationship_primary_role_id = cls.role_am

        def user(login, groups, companies, company=None, **kw):
            return new_test_user(
                env, login=login, password=login, groups=groups + ",base.group_allow_export",
                company_id=(company or companies[0]).id,
                company_ids=[(6, 0, [c.id for c in companies])],
                name=login.replace("_", " ").title(), email=f"{login}@example.com", **kw,
            )

        a, b = cls.company_a, cls.company_b
        cls.admin = user("rm_admin", "base.group_system,sales_team.group_sale_manager", [a, b])
        cls.manager_a = user("rm_manager_a", "sales_team.group_sale_manager", [a])
        cls.manager_b = user("rm_manager_b", "sales_team.group_sale_manager", [b], company=b)
        cls.associate_a = user("rm_assoc_a", "sales_team.group_sale_salesman", [a])
        cls.associate_a2 = user("rm_assoc_a2", "sales_team.group_sale_salesman", [a])
        cls.associate_b = user("rm_assoc_b", "sales_team.group_sale_salesman", [b], company=b)
        cls.user_ab = user("rm_user_ab", "sales_team.group_sale_manager", [a, b])
        cls.team_leader = user("rm_team_lead", "crm_relationship_manager.group_relationship_manager,"
                               "sales_team.group_sale_salesman", [a])
        cls.portal = new_test_user(env, login="rm_portal", password="rm_portal",
                                   groups="base.group_portal", company_id=a.id)
        cls.archived = user("rm_archived", "sales_team.group_sale_salesman", [a])
        cls.archived.active = False

        Partner = env["res.partner"].with_context(tracking_disable=True)
        # a customer shared by both companies (no company set)
        cls.shared = Partner.create({"name": "Shared Customer", "is_company": True})
        cls.shared_contact = Partner.create({"name": "Shared Contact", "parent_id": cls.shared.id})
        cls.customer_a = Partner.create({"name": "Customer A", "is_company": True, "company_id": a.id})
        cls.customer_a2 = Partner.create({"name": "Customer A2", "is_company": True, "company_id": a.id})
        cls.customer_b = Partner.create({"name": "Customer B", "is_company": True, "company_id": b.id})

        cls.team_a = env["crm.team"].create({
            "name": "Team A", "company_id": a.id, "user_id": cls.manager_a.id,
            "member_ids": [(6, 0, (cls.associate_a | cls.associate_a2).ids)],
        })
        cls.team_b = env["crm.team"].create({
            "name": "Team B", "company_id": b.id, "user_id": cls.manager_b.id,
            "member_ids": [(6, 0, cls.associate_b.ids)],
        })

    def assign(self, partners, user, company=None, role=None, as_user=None, **kw):
        Rel = self.env["crm.relationship"]
        company = company or self.company_a
        if as_user:
            Rel = Rel.with_user(as_user)
        return Rel.with_company(company)._assign(partners, user, role=role, company=company, **kw)

    def current(self, partner, company=None, role=None):
        return self.env["crm.relationship"].sudo().search([
            ("partner_id", "=", partner.id),
            ("company_id", "=", (company or self.company_a).id),
            ("role_id", "=", (role or self.role_am).id),
            ("is_current", "=", True),
        ])


class RelationshipCase(RelationshipMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_relationship_data()


class RelationshipHttpCase(RelationshipMixin, HttpCase):
    """Real XML-RPC calls; the server shares the test transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_relationship_data()
        cls.rpc_port = rpc_server_port()

    def rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` as ``user`` (password = login) over XML-RPC."""
        url = f"http://127.0.0.1:{self.rpc_port}/xmlrpc/2/object"
        proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
        return proxy.execute_kw(self.env.cr.dbname, user.id, user.login, model, method,
                                list(args), kwargs)

    # /xmlrpc/2 fault codes (odoo/addons/base/controllers/rpc.py)
    FAULT_CODES = {"AccessError": 4, "UserError": 2, "ValidationError": 2, "AccessDenied": 3}

    def assertRpcFault(self, fault_type, user, model, method, *args, message=None, **kwargs):
        """Assert the XML-RPC call fails with ``fault_type`` ('AccessError', 'UserError',
        'ValidationError') and, optionally, that its message contains ``message``."""
        with self.assertRaises(xmlrpc.client.Fault) as ctx:
            self.rpc(user, model, method, *args, **kwargs)
        fault = ctx.exception
        self.assertEqual(fault.faultCode, self.FAULT_CODES[fault_type], fault.faultString)
        if message:
            self.assertIn(message, fault.faultString)
        return fault.faultString
