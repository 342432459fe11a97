-- pulse grants plan --env prod: access.yaml as BigQuery DCL
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.bronze` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.silver` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.gold` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.assertions` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `pulse-prod.silver` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `pulse-prod.gold` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `pulse-prod.assertions` TO "serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.silver` TO "group:analysts@example.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.gold` TO "group:analysts@example.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.silver` TO "group:data-scientists@example.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.gold` TO "group:data-scientists@example.com";
GRANT `roles/bigquery.dataViewer` ON SCHEMA `pulse-prod.bronze` TO "serviceAccount:pulse-ingest@pulse-prod.iam.gserviceaccount.com";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `pulse-prod.bronze` TO "serviceAccount:pulse-ingest@pulse-prod.iam.gserviceaccount.com";
CREATE OR REPLACE ROW ACCESS POLICY analysts_known_state ON `pulse-prod.gold.workout_bpm_summary` GRANT TO ("group:analysts@example.com") FILTER USING (state IS NOT NULL);
CREATE OR REPLACE ROW ACCESS POLICY analysts_known_state_other_readers ON `pulse-prod.gold.workout_bpm_summary` GRANT TO ("serviceAccount:pulse-deploy@pulse-prod.iam.gserviceaccount.com", "group:data-scientists@example.com") FILTER USING (TRUE);

-- Not on BigQuery (local only; Cloud Audit Logs record BigQuery's own jobs):
--   data_engineer read pulse_meta
--   data_engineer write pulse_meta
--   auditor read pulse_meta.audit_log

-- PII policy tags: bound through each table's schema (the SQLX columns' bigqueryPolicyTags, which dataform run and
-- pulse grants apply set with tables.patch; BigQuery has no DDL for them). The tag's data policy masks the column
-- (SHA256 or ALWAYS_NULL) for masked readers; roles with clearance need roles/datacatalog.categoryFineGrainedReader on it.
--   pulse-prod.bronze.dead_letters.raw: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4002 (null)
--   pulse-prod.bronze.gym_logins.mac_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.bronze.kafka_multiplex.value: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4002 (null)
--   pulse-prod.bronze.registered_users.mac_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.gold.gym_summary.mac_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.gym_logs.mac_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile.dob: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4002 (null)
--   pulse-prod.silver.user_profile.first_name: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile.last_name: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile.street_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile_latest.dob: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4002 (null)
--   pulse-prod.silver.user_profile_latest.first_name: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile_latest.last_name: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.user_profile_latest.street_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
--   pulse-prod.silver.users.mac_address: projects/pulse-prod/locations/us/taxonomies/3001/policyTags/4001 (hash)
