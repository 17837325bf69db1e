/** @odoo-module **/
// Assign and clear the Colleague of a lead; show the optional Colleague column.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_lead_colleague_tour", {
    steps: () => [
        {
            content: "The colleague (the Salesperson, user_id) is shown near the top of the form, with its avatar",
            trigger: ".o_field_widget[name=user_id] .o_m2o_avatar",
        },
        {
            content: "It is labelled Colleague",
            trigger: ".o_form_view label[for^=user_id]:contains(Colleague)",
        },
        {
            content: "It is shown once, and no Salesperson label is left",
            trigger: ".o_form_view .o_field_widget[name=user_id]",
            run() {
                const form = document.querySelector(".o_form_view");
                const shown = form.querySelectorAll(
                    ".o_field_widget[name=user_id], .o_field_widget[name=colleague_id]");
                if (shown.length !== 1) {
                    throw new Error(`The colleague is shown ${shown.length} times`);
                }
                const labels = [...form.querySelectorAll("label.o_form_label")].map(
                    (label) => label.textContent.trim());
                if (labels.includes("Salesperson")) {
                    throw new Error("A Salesperson field is still shown");
                }
            },
        },
        {
            trigger: ".o_field_widget[name=user_id] input:value(Rm Assoc A)",
        },
        {
            content: "Pick another colleague",
            trigger: ".o_field_widget[name=user_id] input",
            run: "edit Rm Assoc A2",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rm Assoc A2)",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "The change is saved",
            trigger: ".o_field_widget[name=user_id] input:value(Rm Assoc A2)",
        },
        {
            content: "Clear the colleague",
            trigger: ".o_field_widget[name=user_id] input",
            run: "clear",
        },
        {
            content: "Leave the field",
            trigger: ".o_field_widget[name=name] textarea",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved .o_field_widget[name=user_id] input:value()",
        },
    ],
});

registry.category("web_tour.tours").add("crm_lead_colleague_column_tour", {
    steps: () => [
        {
            content: "The Colleague column is hidden by default",
            trigger: ".o_list_view:not(:has(th[data-name=colleague_id]))",
        },
        {
            content: "Open the column toggler",
            trigger: ".o_optional_columns_dropdown_toggle",
            run: "click",
        },
        {
            content: "Show the Colleague column",
            trigger: ".o-dropdown-item:contains(Colleague) input",
            run: "check",
        },
        {
            trigger: ".o_list_view th[data-name=colleague_id]",
        },
        {
            content: "The colleague's avatar and name show in the column",
            trigger: ".o_data_row:contains(Colleague tour deal) td[name=colleague_id]:contains(Rm Assoc A2) .o_m2o_avatar",
        },
    ],
});

registry.category("web_tour.tours").add("crm_lead_offer_accept_tour", {
    steps: () => [
        {
            content: "The offer to our company shows with its ribbon",
            trigger: ".o_kanban_record:contains(Tour offered deal):contains(Tour Customer) .ribbon:contains(Offered to Us)",
        },
        {
            content: "Accept it",
            trigger: ".o_kanban_record:contains(Tour offered deal) button[name=action_accept]",
            run: "click",
        },
        {
            content: "Our own lead opens, with me as its colleague",
            trigger: ".o_form_view .o_field_widget[name=user_id] input:value(Rm Assoc B)",
        },
        {
            trigger: ".o_form_view .ribbon:contains(Shared)",
        },
    ],
});
