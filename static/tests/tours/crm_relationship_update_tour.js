/** @odoo-module **/
// Update Relationship from the customer form, then read the history tab.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_update_tour", {
    steps: () => [
        {
            content: "Open the Update Relationship dialog",
            trigger: "button[name=action_open_update_relationship]",
            run: "click",
        },
        {
            content: "The current rep is shown",
            trigger: ".modal .o_field_widget[name=current_user_ids]:contains(Rm Assoc A)",
        },
        {
            content: "Pick the new rep",
            trigger: ".modal .o_field_widget[name=user_id] input",
            run: "edit Rm Assoc A2",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Assoc A2)",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Territory change",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "Open the Relationships tab",
            trigger: ".o_notebook a.nav-link:contains(Relationships)",
            run: "click",
        },
        {
            content: "The new rep is current, the old one is history",
            trigger: ".o_field_widget[name=relationship_ids] .o_data_row:not(.text-muted):contains(Rm Assoc A2):contains(Territory change)",
        },
        {
            trigger: ".o_field_widget[name=relationship_ids] .o_data_row.text-muted:contains(Rm Assoc A)",
        },
    ],
});
