"""FHIR R4 export of a patient's record: a Bundle per patient, NDJSON per location.

It lives in ``needling`` because it reads both apps (patients may not import needling):
the patient record from ``patients`` and the signed session notes and adverse events from
``needling``. ``resources`` turns model rows into FHIR JSON (pure functions, no queries),
``selectors`` reads the rows in a fixed number of queries per chunk of patients, ``export``
assembles Bundles and NDJSON streams.
"""
