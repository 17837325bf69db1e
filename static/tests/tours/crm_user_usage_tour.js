/** @odoo-module **/
// Departure: the Usage view of a user; an archive refused and completed
// through Reassign resources (which shows the same usage); give back on return.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_user_usage_tour", {
    steps: () => [
        {
            content: "Open the Usage of the user",
            trigger: "button[name=action_view_crm_rm_usage]",
            run: "click",
        },
        {
            content: "Every place that names the user, with counts",
            trigger: ".modal .o_data_row:contains(Sales teams they lead):contains(1)",
        },
        {
            trigger: ".modal .o_data_row:contains(Saved filters they own)",
        },
        {
            trigger: ".modal .o_data_row:contains(Current relationships: Account Manager):contains(2)",
        },
        {
            trigger: ".modal .o_data_row:contains(Sales teams they lead) button[name=action_open]",
        },
        {
            content: "A line opens its records (a click on the line or its Open button)",
            trigger: ".modal .o_data_row:contains(Sales teams they lead) td.o_data_cell[name=label]",
            run: "click",
        },
        {
            content: "The team the user leads",
            trigger: ".o_list_view .o_data_row:contains(Team led by A)",
        },
        {
            trigger: "body:not(:has(.o_list_view .o_data_row:contains(Team A)))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_user_archive_refused_tour", {
    steps: () => [
        {
            content: "Open the action menu of the user form",
            trigger: ".o_control_panel .o_cp_action_menus button.dropdown-toggle",
            run: "click",
        },
        {
            content: "Archive the user",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Archive)",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Refused: Reassign resources opens with the usage instead",
            trigger: ".modal .o_field_widget[name=usage_line_ids] .o_data_row:contains(Sales teams they lead)",
        },
        {
            trigger: ".modal .o_field_widget[name=usage_line_ids] .o_data_row:contains(Rotation pools they are the fallback owner of)",
        },
        {
            trigger: ".modal .o_field_widget[name=archive_user] input:checked",
        },
        {
            trigger: ".modal .o_field_widget[name=successor_id] input",
            run: "edit Rm Assoc A2",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Assoc A2)",
            run: "click",
        },
        {
            content: "The successor takes the configuration too",
            trigger: ".modal .o_field_widget[name=config_successor_id] input:value(Rm Assoc A2)",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Left the company",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The user form is reloaded: the user is archived",
            trigger: ".o_form_view .o_form_header:contains(The contact linked to this user is still active)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_user_give_back_tour", {
    steps: () => [
        {
            content: "Open the action menu of the archived user's form",
            trigger: ".o_control_panel .o_cp_action_menus button.dropdown-toggle",
            run: "click",
        },
        {
            content: "Unarchive the user",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Unarchive)",
            run: "click",
        },
        {
            content: "Give back is offered: what the successor still holds, what changed",
            trigger: ".modal .o_field_widget[name=changed_count]:contains(1)",
        },
        {
            trigger: ".modal .o_field_widget[name=summary]:contains(Sales Team)",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The user form is reloaded: active again, nothing left to give back",
            trigger: ".o_form_view:has(.o_form_sheet):not(:has(.o_widget_web_ribbon)):not(:has(button[name=action_open_give_back]))",
        },
    ],
});
