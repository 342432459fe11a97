// BigQuery policy tags of personal data (names, street address, date of birth, device MAC). A column tagged here is
// PII to pulse: `pulse query --role` masks it for roles without clearance (access.yaml), `pulse policy check` follows
// it to gold, and on BigQuery the tag's data policy masks it (SHA-256 or always-null). The taxonomy differs per GCP
// project, so each environment gives its own resource names as vars (access.yaml, environments.<env>.policy_tags).
const vars = dataform.projectConfig.vars || {};

function required(name) {
  if (!vars[name]) throw new Error(`includes/pii.js: var ${name} is not set (workflow_settings.yaml vars, or --vars)`);
  return vars[name];
}

/** Masked as a SHA-256 hash: equal values stay equal, so joins and counts of distinct values still work. */
const hash = required("pii_policy_tag_hash");
/** Masked as null: the value means nothing once hashed (a date of birth has few values, a hash of it is reversible). */
const nullify = required("pii_policy_tag_null");

module.exports = { hash, nullify };
