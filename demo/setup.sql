-- demo/setup.sql - the production database the demo starts from: the
-- application's `users` table on the stable slot, with the dualboot
-- extension that every migration script calls.
\set ON_ERROR_STOP on

CREATE EXTENSION dualboot;

CREATE TABLE users (
    id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    email   text,
    created timestamp NOT NULL DEFAULT '2026-01-01 00:00:00'
);

INSERT INTO users (name, email, created) VALUES
    ('alice', 'alice@example.org', '2026-01-05 09:00:00'),
    ('bob',   'bob@example.org',   '2026-02-11 10:30:00'),
    ('carol', 'carol@example.org', '2026-03-17 14:15:00'),
    ('dave',  NULL,                '2026-04-23 16:45:00'),
    ('erin',  'erin@example.org',  '2026-05-29 08:05:00'),
    ('frank', NULL,                '2026-06-30 19:20:00');
