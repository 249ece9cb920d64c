package io.lazysnap.cli.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Image config edits for a converted image: conversion rewrites each layer's tar stream (landmark and TOC entries),
 * so {@code rootfs.diff_ids} must name the new streams. Every other field is kept as it was.
 */
final class ConfigRewriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigRewriter() {
    }

    static List<String> diffIds(byte[] config) throws IOException {
        List<String> ids = new ArrayList<>();
        JSON.readTree(config).path("rootfs").path("diff_ids").forEach(id -> ids.add(id.asText()));
        return ids;
    }

    static byte[] withDiffIds(byte[] config, List<String> diffIds) throws IOException {
        JsonNode root = JSON.readTree(config);
        if (!(root instanceof ObjectNode object) || !(root.path("rootfs") instanceof ObjectNode rootfs)) {
            throw new IOException("image config has no rootfs object");
        }
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(ids::add);
        return JSON.writeValueAsBytes(object);
    }
}
