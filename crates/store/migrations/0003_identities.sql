-- Person identifiers from the expertise feeds (ORCID iD, Cristin person id, OpenAlex author id)
-- and the researcher record each belongs to, so that the same person arriving from another feed
-- is found again. The first researcher to claim an identifier keeps it; a second claimant is a
-- conflict the import reports, not a silent takeover.
CREATE TABLE identities (
    scheme     TEXT NOT NULL,
    value      TEXT NOT NULL,
    researcher TEXT NOT NULL,
    PRIMARY KEY (scheme, value)
);
CREATE INDEX identities_by_researcher ON identities (researcher);

-- Researchers stored before this table existed claim their identifiers now.
INSERT OR IGNORE INTO identities (scheme, value, researcher)
    SELECT 'orcid', upper(replace(replace(trim(json_extract(doc, '$.orcid')), 'https://orcid.org/', ''), 'http://orcid.org/', '')), id FROM records
    WHERE kind = 'researcher' AND json_extract(doc, '$.orcid') IS NOT NULL;
INSERT OR IGNORE INTO identities (scheme, value, researcher)
    SELECT 'cristin', trim(json_extract(doc, '$.cristin_id')), id FROM records
    WHERE kind = 'researcher' AND json_extract(doc, '$.cristin_id') IS NOT NULL;
