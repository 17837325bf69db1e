/** @odoo-module **/
// Archive a user who still has customers: the Reassign resources dialog asks
// for a successor, hands everything over, then archives the user.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_task_follow_archive_tour", {
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
            content: "A successor is asked for first",
            trigger: ".modal .o_field_widget[name=relationship_count]:contains(2)",
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
            content: "The user form is reloaded: the user is archived, their contact not",
            trigger: ".o_form_view .o_form_header:contains(The contact linked to this user is still active)",
        },
    ],
});
