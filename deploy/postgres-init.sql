-- Run once by the postgres image when its data volume is new (deploy/compose.yml):
-- Rasa's conversations (bot/endpoints.scale.yml, TRACKER_DB_NAME) get their own database.
CREATE DATABASE rasa OWNER assistant;
