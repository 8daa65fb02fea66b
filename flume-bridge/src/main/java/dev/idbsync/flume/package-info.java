/**
 * The Flume bridge: resolved changes as Flume events to one or more agents. Empty in this
 * release: the module exists so that the build has its final shape; its bolt comes with the
 * Flume issue (see docs/architecture.md).
 */
package dev.idbsync.flume;
