-- Runs once, when the postgresql volume is first initialised (docker-entrypoint-initdb.d).
-- Temporal's auto-setup creates its own databases (temporal, temporal_visibility); the store
-- gets one of its own and creates its tables itself (store.Open runs the migrations).
CREATE DATABASE crmsync;
