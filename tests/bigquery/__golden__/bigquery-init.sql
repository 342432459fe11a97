-- dataset acme-prod.assertions
-- dataset acme-prod.bronze
-- dataset acme-prod.gold
-- dataset acme-prod.silver

CREATE TABLE IF NOT EXISTS `acme-prod.bronze.dead_letters` (
  `source` STRING,
  `feed` STRING,
  `line` INT64,
  `raw` BYTES,
  `reason` STRING,
  `dead_lettered_at` TIMESTAMP,
  `_source` STRING,
  `_source_line` INT64,
  `_ingested_at` TIMESTAMP,
  `_batch` STRING
)
PARTITION BY DATE(_ingested_at)
CLUSTER BY feed
OPTIONS (description = 'Grain: one row per rejected record (append-only), with its raw bytes and the reason. Nothing in silver reads it; it is declared so it can be queried and referenced.');

CREATE TABLE IF NOT EXISTS `acme-prod.bronze.gym_logins` (
  `mac_address` STRING,
  `gym` INT64,
  `login` FLOAT64,
  `logout` FLOAT64,
  `_source` STRING,
  `_source_line` INT64,
  `_ingested_at` TIMESTAMP,
  `_batch` STRING
)
PARTITION BY DATE(_ingested_at)
OPTIONS (description = 'Grain: one row per landing-file line or copied PostgreSQL row version (append-only): gym visits. A visit may appear again with its logout filled in.');

CREATE TABLE IF NOT EXISTS `acme-prod.bronze.kafka_multiplex` (
  `key` STRING,
  `value` STRING,
  `topic` STRING,
  `partition` INT64,
  `offset` INT64,
  `timestamp` INT64,
  `date` DATE,
  `message_id` STRING,
  `_source` STRING,
  `_source_line` INT64,
  `_ingested_at` TIMESTAMP,
  `_batch` STRING
)
PARTITION BY DATE(_ingested_at)
CLUSTER BY topic
OPTIONS (description = 'Grain: one row per delivered message (append-only) of the topics user_info, bpm and workout, from Kafka, Pub/Sub, landing files or the BigQuery sink; a redelivery repeats its message_id.');

CREATE TABLE IF NOT EXISTS `acme-prod.bronze.registered_users` (
  `user_id` INT64,
  `device_id` INT64,
  `mac_address` STRING,
  `registration_timestamp` FLOAT64,
  `_source` STRING,
  `_source_line` INT64,
  `_ingested_at` TIMESTAMP,
  `_batch` STRING
)
PARTITION BY DATE(_ingested_at)
OPTIONS (description = 'Grain: one row per landing-file line or copied PostgreSQL row version (append-only): device registrations.');
