/** @odoo-module **/
// Manage Relationships from a rep's user form: split the rep's book evenly
// between two reps, preview, start the background update.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_batch_tour", {
    steps: () => [
        {
            content: "Manage the relationships of this rep",
            trigger: "button[name=action_manage_relationships]",
            run: "click",
        },
        {
            content: "The rep's book is the first reassignment",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:contains(Rm Assoc A) td.o_data_cell[name=kind]",
            run: "click",
        },
        {
            content: "Add a first representative",
            trigger: ".modal .o_field_widget[name=target_ids] .o_field_x2many_list_row_add a:contains(Add Representative)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=target_ids] .o_data_row .o_field_widget[name=user_id] input",
            run: "edit Rm Rep C",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Rep C)",
            run: "click",
        },
        {
            content: "Add a second representative: the customers are split evenly",
            trigger: ".modal .o_field_widget[name=target_ids] .o_field_x2many_list_row_add a:contains(Add Representative)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=target_ids] .o_data_row:eq(1) .o_field_widget[name=user_id] input",
            run: "edit Rm Rep D",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Rep D)",
            run: "click",
        },
        {
            trigger: ".modal .modal-footer .o_form_button_save",
            run: "click",
        },
        {
            content: "Reassign more relationships: an audience built with the domain editor",
            trigger: ".o_form_view:not(:has(.modal)) .o_field_widget[name=line_ids] .o_field_x2many_list_row_add a:contains(Reassign More Relationships)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=kind] input[data-value=audience]",
            run: "click",
        },
        {
            content: "The customer filter uses Odoo's domain editor",
            trigger: ".modal .o_field_widget[name=audience_domain] .o_domain_selector",
        },
        {
            content: "Not this time",
            trigger: ".modal .modal-footer .o_form_button_cancel",
            run: "click",
        },
        {
            content: "Preview",
            trigger: ".o_form_view:not(:has(.modal)) button[name=action_preview]",
            run: "click",
        },
        {
            content: "Open the preview",
            trigger: ".o_notebook a.nav-link:contains(Preview)",
            run: "click",
        },
        {
            content: "Counts per new rep",
            trigger: ".o_crm_rm_preview_html .o_crm_rm_preview tr:contains(Rm Rep C):contains(3)",
        },
        {
            trigger: ".o_crm_rm_preview_html .o_crm_rm_preview tr:contains(Rm Rep D):contains(2)",
        },
        {
            trigger: ".o_crm_rm_preview_html:contains(Open leads and opportunities: 1)",
        },
        {
            content: "List the previewed customers one by one",
            trigger: "button[name=action_view_items]:contains(5)",
            run: "click",
        },
        {
            content: "Every customer of the preview is pending, with its new rep",
            trigger: ".o_list_view .o_group_name:contains(Pending (5))",
        },
        {
            content: "Back to the batch",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(MRA/)",
            run: "click",
        },
        {
            content: "Start the update: it runs in the background",
            trigger: "button[name=action_start]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Queued)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_relationship_batch_done_tour", {
    steps: () => [
        {
            content: "The batch is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Done)",
        },
        {
            trigger: ".o_field_widget[name=progress]:contains(100)",
        },
        {
            content: "Open the summary",
            trigger: ".o_notebook a.nav-link:contains(Summary)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=summary_html]:contains(Rm Rep C: 3 customer(s))",
        },
    ],
});
