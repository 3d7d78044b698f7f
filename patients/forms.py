"""Forms for the patient record. Forms check input shape and give field-by-field messages;
the services decide and validate again (full_clean) before saving."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.common.widgets import DateInput
from clinic.staff.models import Location
from patients import icd10, questions
from patients.models import (
    DUE_DATE_MAX_AHEAD,
    DUE_DATE_MAX_PAST,
    INR_MAX,
    INR_MIN,
    Condition,
    ConsentSigner,
    ImplantedDevice,
    Infection,
    Lymphedema,
    Measure,
    OutcomeMeasure,
    Patient,
    Surgery,
    Tumor,
    Varicosity,
)
from patients.vocabulary import (
    COMMON_ANTICOAGULANTS,
    Epilepsy,
    PainArea,
    Side,
    pain_area_sides,
)

YES, NO = "yes", "no"
YES_NO = [(YES, "Yes"), (NO, "No")]


def _not_in_future(value, message="The date cannot be in the future."):
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)
    return value


class YesNoField(forms.TypedChoiceField):
    """A required yes/no question as two radio buttons (never a pre-ticked default)."""

    def __init__(self, label: str, **kwargs):
        kwargs.setdefault("required", True)
        super().__init__(
            label=label,
            choices=YES_NO,
            coerce=lambda value: value == YES,
            empty_value=None,
            widget=forms.RadioSelect,
            error_messages={"required": "Answer yes or no."},
            **kwargs,
        )


# --- Patients -----------------------------------------------------------------------------------


class PatientQuickForm(forms.ModelForm):
    """A phone enquiry: the least that identifies a patient and reaches them."""

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "phone"]
        widgets = {"date_of_birth": DateInput()}
        help_texts = {"date_of_birth": "As on an ID, e.g. 1984-02-29."}

    def clean_date_of_birth(self):
        return _not_in_future(
            self.cleaned_data.get("date_of_birth"), "The date of birth cannot be in the future."
        )

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if not any(ch.isdecimal() for ch in phone):
            raise forms.ValidationError("Enter a phone number with digits.")
        return phone


class PatientRegisterForm(PatientQuickForm):
    """A quick registration that first warns of a patient who may already be registered (the
    same date of birth and a similar name, or the same phone): the desk opens that record, or
    ticks "Save anyway" to register a different person."""

    save_anyway = forms.BooleanField(
        label="Save anyway: this is a different person",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = []

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        from patients.selectors import possible_duplicates

        self.duplicates = possible_duplicates(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            date_of_birth=data.get("date_of_birth"),
            phone=data.get("phone", ""),
        )
        if self.duplicates and not data.get("save_anyway"):
            self.add_error(
                "save_anyway",
                "This may be a patient who is already registered. Open the record below, or "
                "tick this box to register a different person.",
            )
        return data


class PatientForm(PatientQuickForm):
    """Every detail of the record. `clinical=False` leaves out the clinical notes."""

    preferred_location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True), required=False
    )

    class Meta(PatientQuickForm.Meta):
        fields = list(Patient.DETAIL_FIELDS)
        labels = {"notes": "Clinical notes"}

    def __init__(self, *args, clinical: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not clinical:
            del self.fields["notes"]


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="Part of a name, a date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone digits.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    archived = forms.BooleanField(label="Archived patients", required=False)


# --- The screening questionnaire ----------------------------------------------------------------

# The questionnaire's declaration (one source for the form, the model, the facts and the
# contract): SECTIONS and FOLLOW_UPS name the form's questions; ANTICOAGULANT_FIELDS the
# details asked after "takes a blood thinner".
ANTICOAGULANT_FIELDS = tuple(questions.ANTICOAGULANT_FIELDS.values())
FINDING_LISTS = questions.FINDING_LISTS
FOLLOW_UPS = questions.FOLLOW_UPS
SECTIONS = questions.SECTIONS


def _inr_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=4,
        decimal_places=2,
        min_value=INR_MIN,
        max_value=INR_MAX,
        error_messages={
            "min_value": "Enter an INR between 0.5 and 10.",
            "max_value": "Enter an INR between 0.5 and 10.",
            "invalid": "Enter a number, e.g. 2.4.",
            "max_decimal_places": "Use at most 2 decimal places.",
            "max_digits": "Enter an INR between 0.5 and 10.",
        },
        **kwargs,
    )


def _question_fields() -> dict[str, forms.Field]:
    """A yes/no field for every declared question, follow-up parent and finding list."""
    fields: dict[str, forms.Field] = {}
    for entry in questions.SCREENING:
        name = entry.key if isinstance(entry, questions.YesNo) else entry.parent
        fields[name] = YesNoField(entry.question, help_text=getattr(entry, "help", ""))
    return fields


# The declared questions as a form class, so QuestionnaireForm inherits them as fields.
_DeclaredQuestions = type("_DeclaredQuestions", (forms.Form,), _question_fields())


class QuestionnaireForm(_DeclaredQuestions):
    """The DN screening questionnaire: the declared questions with their follow-up details."""

    field_order = ["taken_on"]
    taken_on = forms.DateField(label="Date of the screening", widget=DateInput())

    epilepsy_controlled = YesNoField(
        "Are the seizures controlled?", required=False, help_text="No seizures on treatment."
    )

    anticoagulant_drug = forms.CharField(
        label="Which drug?",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"list": "anticoagulant-names", "autocomplete": "off"}),
    )
    vitamin_k_antagonist = forms.BooleanField(
        label="It is a vitamin K antagonist (needs INR checks)",
        required=False,
        help_text="Warfarin, acenocoumarol and phenprocoumon are recorded as such automatically.",
    )
    inr = _inr_field(
        "Latest INR",
        required=False,
        help_text="Leave blank if unknown: an unknown INR counts as uncontrolled.",
    )
    inr_on = forms.DateField(label="INR measured on", required=False, widget=DateInput())
    inr_target_low = _inr_field("INR target from", required=False, initial=Decimal("2.0"))
    inr_target_high = _inr_field("INR target to", required=False, initial=Decimal("3.0"))
    last_dose_change_on = forms.DateField(
        label="Date of the last dose change",
        required=False,
        widget=DateInput(),
        help_text="Leave blank if the dose has not changed.",
    )
    recent_bleeding = YesNoField("Any recent abnormal bleeding?", required=False)

    pregnancy_due_date = forms.DateField(
        label="Estimated due date", required=False, widget=DateInput()
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def parent_is_yes(self, parent: str) -> bool:
        return self[parent].value() == YES

    def clean_taken_on(self):
        taken_on = _not_in_future(
            self.cleaned_data.get("taken_on"), "The screening date cannot be in the future."
        )
        if taken_on and taken_on < self.patient.date_of_birth:
            raise forms.ValidationError("The screening date is before the date of birth.")
        return taken_on

    def clean(self):
        cleaned = super().clean()
        # Follow-up answers count only when their question was answered yes: drop the others
        # (and any error they had) so that hidden leftovers are never saved.
        for parent, children in FOLLOW_UPS.items():
            if cleaned.get(parent) is not True:
                for child in children:
                    if self._errors:
                        self._errors.pop(child, None)
                    cleaned[child] = None
        today = timezone.localdate()
        reference = cleaned.get("taken_on") or today
        if cleaned.get("has_epilepsy") and cleaned.get("epilepsy_controlled") is None:
            self.add_error("epilepsy_controlled", "Answer yes or no.")
        if cleaned.get("takes_anticoagulant"):
            drug = (cleaned.get("anticoagulant_drug") or "").strip()
            cleaned["anticoagulant_drug"] = drug
            if not drug and "anticoagulant_drug" not in self.errors:
                self.add_error("anticoagulant_drug", "Name the drug.")
            if cleaned.get("recent_bleeding") is None and "recent_bleeding" not in self.errors:
                self.add_error("recent_bleeding", "Answer yes or no.")
            inr, inr_on = cleaned.get("inr"), cleaned.get("inr_on")
            if inr is not None and inr_on is None and "inr_on" not in self.errors:
                self.add_error("inr_on", "Enter the date the INR was measured.")
            if inr_on is not None and inr is None and "inr" not in self.errors:
                self.add_error("inr", "Enter the INR measured on that date.")
            for name, label in (("inr_on", "INR date"), ("last_dose_change_on", "dose change")):
                value = cleaned.get(name)
                if value and value > reference and name not in self.errors:
                    self.add_error(
                        name, f"The {label} cannot be after the screening date (in the future)."
                    )
            low = cleaned.get("inr_target_low")
            high = cleaned.get("inr_target_high")
            if low is None and "inr_target_low" not in self.errors:
                cleaned["inr_target_low"] = low = Decimal("2.0")
            if high is None and "inr_target_high" not in self.errors:
                cleaned["inr_target_high"] = high = Decimal("3.0")
            if low is not None and high is not None and low >= high:
                self.add_error("inr_target_high", "The upper target must be above the lower one.")
        if cleaned.get("pregnant"):
            due = cleaned.get("pregnancy_due_date")
            if due is None and "pregnancy_due_date" not in self.errors:
                self.add_error("pregnancy_due_date", "Enter the estimated due date.")
            elif due and due > reference + DUE_DATE_MAX_AHEAD:
                self.add_error(
                    "pregnancy_due_date",
                    "The due date is more than 44 weeks after the screening date.",
                )
            elif due and due < reference - DUE_DATE_MAX_PAST:
                self.add_error(
                    "pregnancy_due_date",
                    "The due date is more than 6 weeks ago: answer no to the pregnancy question.",
                )
        return cleaned

    def answers(self) -> dict:
        """The questionnaire model's fields from the cleaned answers."""
        data = self.cleaned_data
        answers = {
            name: data[name]
            for _, names in SECTIONS
            for name in names
            if name not in FOLLOW_UPS and name not in ("has_epilepsy",)
        }
        if data.get("has_epilepsy"):
            controlled = data.get("epilepsy_controlled")
            answers["epilepsy"] = Epilepsy.CONTROLLED if controlled else Epilepsy.UNCONTROLLED
        else:
            answers["epilepsy"] = Epilepsy.NONE
        if data.get("takes_anticoagulant"):
            for name in ANTICOAGULANT_FIELDS:
                answers[name] = data[name]
            answers["vitamin_k_antagonist"] = bool(data["vitamin_k_antagonist"])
        if data.get("pregnant"):
            answers["pregnancy_due_date"] = data["pregnancy_due_date"]
        return answers

    @staticmethod
    def initial_from(questionnaire) -> dict:
        """The answers of an earlier questionnaire as initial values (to be asked again)."""
        q = questionnaire
        initial = {
            name: YES if getattr(q, name) else NO
            for _, names in SECTIONS
            for name in names
            if hasattr(q, name) and name not in FOLLOW_UPS
        }
        initial["has_epilepsy"] = NO if q.epilepsy == Epilepsy.NONE else YES
        if q.epilepsy != Epilepsy.NONE:
            initial["epilepsy_controlled"] = YES if q.epilepsy == Epilepsy.CONTROLLED else NO
        initial["takes_anticoagulant"] = YES if q.anticoagulant_drug else NO
        if q.anticoagulant_drug:
            for name in ANTICOAGULANT_FIELDS:
                initial[name] = getattr(q, name)
            initial["recent_bleeding"] = YES if q.recent_bleeding else NO
        initial["pregnant"] = YES if q.pregnancy_due_date else NO
        initial["pregnancy_due_date"] = q.pregnancy_due_date
        for finding_list in FINDING_LISTS:
            initial[finding_list.parent] = YES if getattr(q, finding_list.key).all() else NO
        return initial

    anticoagulant_suggestions = COMMON_ANTICOAGULANTS


class FindingForm(forms.ModelForm):
    """A row of a finding list. Rows left empty are skipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                field.choices = [("", "Choose…"), *list(field.choices)[1:]]


class ImplantedDeviceForm(FindingForm):
    class Meta:
        model = ImplantedDevice
        fields = ["kind", "region", "side"]


class InfectionForm(FindingForm):
    class Meta:
        model = Infection
        fields = ["region", "side", "description"]
        labels = {"description": "What it is (optional)"}


class TumorForm(FindingForm):
    class Meta:
        model = Tumor
        fields = ["region", "side", "description"]
        labels = {"description": "What it is (optional)"}


class LymphedemaForm(FindingForm):
    class Meta:
        model = Lymphedema
        fields = ["limb", "side"]


class SurgeryForm(FindingForm):
    class Meta:
        model = Surgery
        fields = ["on", "region", "side", "joint_replacement", "description"]
        widgets = {"on": DateInput()}
        labels = {"joint_replacement": "It was a joint replacement", "description": "Operation"}

    def clean_on(self):
        return _not_in_future(
            self.cleaned_data.get("on"), "The surgery date cannot be in the future."
        )


class VaricosityForm(FindingForm):
    class Meta:
        model = Varicosity
        fields = ["region", "side"]


FINDING_FORMS = {
    "implanted_devices": ImplantedDeviceForm,
    "infections": InfectionForm,
    "tumors": TumorForm,
    "lymphedema": LymphedemaForm,
    "surgeries": SurgeryForm,
    "varicosities": VaricosityForm,
}
MAX_FINDINGS = 20


class BaseFindingFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this row"


FINDING_FORMSETS = {
    name: forms.formset_factory(
        form,
        formset=BaseFindingFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_FINDINGS,
        validate_max=True,
        absolute_max=50,
    )
    for name, form in FINDING_FORMS.items()
}


def finding_rows(formset) -> list[dict]:
    """The filled-in, not-removed rows of a valid finding formset, as model field values."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({k: v for k, v in data.items() if k != "DELETE"})
    return rows


def finding_formsets(data, initial_from=None) -> dict:
    """One formset per finding list, bound to ``data`` (None: unbound), or filled in from the
    rows of an earlier questionnaire."""
    formsets = {}
    for name in (f.key for f in FINDING_LISTS):
        initial = None
        if initial_from is not None:
            initial = [
                {f: getattr(row, f) for f in FINDING_FORMSETS[name].form._meta.fields}
                for row in getattr(initial_from, name).all()
            ]
        formsets[name] = FINDING_FORMSETS[name](data, prefix=name, initial=initial)
    return formsets


def findings_check(form: QuestionnaireForm, formsets: dict) -> tuple[dict[str, list[dict]], bool]:
    """Validate the questionnaire and the finding lists it answered yes to.

    A yes needs at least one row, and that error goes on the question: the yes itself is
    never saved (a list with rows is the yes), so only the form can tell. Returns each
    answered list's rows and whether everything is valid.
    """
    form_ok = form.is_valid()
    lists_ok = True
    findings = {}
    for finding_list in FINDING_LISTS:
        name, parent = finding_list.key, finding_list.parent
        if not form.parent_is_yes(parent):
            continue
        formset = formsets[name]
        if not formset.is_valid():
            lists_ok = False
            continue
        rows = finding_rows(formset)
        if not rows:
            form.add_error(
                parent, f"You answered yes: add the {finding_list.row_name.lower()} below."
            )
            lists_ok = False
        findings[name] = rows
    return findings, form_ok and lists_ok and form.is_valid()


def apply_finding_errors(formsets: dict, error: ValidationError, form) -> None:
    """Service errors named "<list>-<index>-<field>" go onto that row of that list."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        name, _, rest = key.partition("-")
        index, _, field = rest.partition("-")
        if name in formsets and index.isdigit():
            rows = [
                f
                for f in formsets[name].forms
                if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
            ]
            target = rows[int(index)] if int(index) < len(rows) else None
            if target is not None:
                target.add_error(field if field in target.fields else None, errors)
                continue
        form.add_error(key if key in form.fields else None, errors)


# --- Consent ------------------------------------------------------------------------------------


class ConsentForm(forms.Form):
    text_version = forms.IntegerField(widget=forms.HiddenInput)
    signed_on = forms.DateField(label="Date signed", widget=DateInput())
    signer = forms.ChoiceField(
        label="Signed by", choices=ConsentSigner.choices, widget=forms.RadioSelect
    )
    guardian_relationship = forms.CharField(
        label="Relationship to the patient",
        max_length=60,
        required=False,
        help_text="E.g. mother, father, legal guardian.",
    )
    signed_name = forms.CharField(
        label="Full name, typed by the signer", max_length=200, help_text="This is the signature."
    )
    interpreter_name = forms.CharField(
        label="Interpreter (if one was used)", max_length=200, required=False
    )
    confirmed = forms.BooleanField(
        label="The signer read this consent (or had it read to them) and their questions "
        "were answered.",
        error_messages={"required": "Confirm that the signer read the consent."},
    )

    def clean_signed_on(self):
        return _not_in_future(
            self.cleaned_data.get("signed_on"), "The signing date cannot be in the future."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("signer") == ConsentSigner.GUARDIAN:
            if not (cleaned.get("guardian_relationship") or "").strip():
                self.add_error(
                    "guardian_relationship", "Say how the guardian is related to the patient."
                )
        else:
            cleaned["guardian_relationship"] = ""
        if not (cleaned.get("signed_name") or "").strip() and "signed_name" not in self.errors:
            self.add_error("signed_name", "The signer must type their name.")
        return cleaned


class ConsentTextForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=20_000,
        help_text="Plain text; a blank line starts a new paragraph. It must state the procedure, "
        "benefits, common and rare risks, alternatives, the right to refuse or stop, and "
        "that dry needling is not acupuncture.",
    )

    REQUIRED_WORDS = ("acupuncture", "risk", "stop", "alternative", "benefit")

    def clean_body(self):
        body = self.cleaned_data["body"]
        lowered = body.casefold()
        missing = [word for word in self.REQUIRED_WORDS if word not in lowered]
        if missing:
            raise forms.ValidationError(
                "The text must cover: " + ", ".join(missing) + " (these words are missing)."
            )
        return body


# --- Conditions, pain map, outcomes ---------------------------------------------------------------


class ConditionForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ["icd10_code", "side", "onset_on", "course", "notes"]
        widgets = {
            "onset_on": DateInput(),
            "icd10_code": forms.TextInput(
                attrs={"list": "icd-common", "autocomplete": "off", "spellcheck": "false"}
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "course": forms.RadioSelect,
        }
        help_texts = {"icd10_code": "A billable ICD-10-CM code, e.g. M54.2 (cervicalgia)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = [("", "Not applicable"), *Side.choices]

    def clean_icd10_code(self):
        code = icd10.normalise(self.cleaned_data.get("icd10_code", ""))
        problem = icd10.why_not_billable(code)
        if problem:
            raise forms.ValidationError(problem)
        return code

    def clean_onset_on(self):
        return _not_in_future(self.cleaned_data.get("onset_on"))


class ConditionResolveForm(forms.Form):
    resolved_on = forms.DateField(label="Resolved on", widget=DateInput())

    def clean_resolved_on(self):
        return _not_in_future(self.cleaned_data.get("resolved_on"))


def pain_field_name(area: str, side: str) -> str:
    return f"pain_{area}__{side}"


class PainMapForm(forms.Form):
    recorded_on = forms.DateField(label="Date", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area, label in PainArea.choices:
            for side in pain_area_sides(area):
                side_label = "" if side == Side.MIDLINE else f", {side}"
                self.fields[pain_field_name(area, side)] = forms.IntegerField(
                    label=f"{label}{side_label}",
                    required=False,
                    min_value=0,
                    max_value=10,
                    widget=forms.NumberInput(
                        attrs={"inputmode": "numeric", "data-area": area, "data-side": side}
                    ),
                    error_messages={
                        "min_value": "NPRS is 0 to 10.",
                        "max_value": "NPRS is 0 to 10.",
                        "invalid": "Enter a whole number from 0 to 10.",
                    },
                )

    def clean_recorded_on(self):
        return _not_in_future(self.cleaned_data.get("recorded_on"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.areas():
            raise forms.ValidationError("Mark at least one painful area with its NPRS (0-10).")
        return cleaned

    def areas(self) -> list[tuple[str, str, int]]:
        chosen = []
        for area, _ in PainArea.choices:
            for side in pain_area_sides(area):
                value = self.cleaned_data.get(pain_field_name(area, side))
                if value is not None:
                    chosen.append((area, side, value))
        return chosen


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = OutcomeMeasure
        fields = ["measure", "score", "taken_on", "is_baseline", "condition", "detail"]
        widgets = {"taken_on": DateInput()}
        labels = {"is_baseline": "Baseline (before treatment starts)"}
        help_texts = {
            "score": "NPRS 0-10, PSFS average 0-10, NDI 0-50 points, ODI 0-100%.",
        }

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        self.fields["condition"].queryset = Condition.objects.filter(patient=patient)
        self.fields["condition"].required = False
        self.fields["measure"].choices = [("", "Choose…"), *Measure.choices]

    def clean_taken_on(self):
        return _not_in_future(self.cleaned_data.get("taken_on"))

    def clean(self):
        cleaned = super().clean()
        measure, score = cleaned.get("measure"), cleaned.get("score")
        if measure in OutcomeMeasure.RANGES and score is not None and "score" not in self.errors:
            low, high, whole, _ = OutcomeMeasure.RANGES[measure]
            if not (low <= score <= high):
                self.add_error("score", f"Enter a score from {low} to {high} for this measure.")
            elif whole and score != score.to_integral_value():
                self.add_error("score", "This measure is scored in whole numbers.")
        return cleaned
