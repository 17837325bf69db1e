/** @odoo-module **/
// Setting a cover and watching it return: record a cover for a rep who is away,
// confirm it (it starts at once: the rep's open activities go to the cover),
// end it by hand, and see the items returned.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_rep_cover_tour", {
    steps: () => [
        {
            content: "Record a new cover",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Who is away",
            trigger: ".o_field_widget[name=user_id] input",
            run: "edit Rm Assoc A",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Assoc A):not(:contains(A2))",
            run: "click",
        },
        {
            content: "Who covers",
            trigger: ".o_field_widget[name=cover_user_id] input",
            run: "edit Rm Assoc A2",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Assoc A2)",
            run: "click",
        },
        {
            content: "Confirm: the cover starts today",
            trigger: ".o_form_view button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The cover is active",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=active]",
        },
        {
            content: "The rep's open activities were handed over",
            trigger: ".o_field_widget[name=item_ids] .o_data_row:contains(With the Cover)",
        },
        {
            content: "End the cover by hand",
            trigger: ".o_form_view button[name=action_end_now]",
            run: "click",
        },
        {
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The cover has ended",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=ended]",
        },
        {
            content: "Every item says what became of it: returned",
            trigger: ".o_field_widget[name=item_ids] .o_data_row:contains(Returned)",
        },
        {
            trigger: ".o_field_widget[name=item_ids]:not(:has(.o_data_row:contains(With the Cover)))",
        },
    ],
});
