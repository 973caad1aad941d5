// Package deploy holds the deployment files of crmsync (PostgreSQL init scripts, Temporal
// dynamic config) and the tests that check docker-compose.yml and the Dockerfile at the
// repository root. There is no Go code to import here.
package deploy
