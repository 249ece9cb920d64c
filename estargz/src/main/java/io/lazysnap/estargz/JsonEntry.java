package io.lazysnap.estargz;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * One element of the TOC's {@code entries} array, field for field as stargz-snapshotter's {@code TOCEntry}
 * serialises it (Go {@code omitempty}: zero values are left out). Xattr values are base64, as Go encodes
 * {@code []byte}. containers/storage's extra keys ({@code endOffset}, {@code chunkType}, times) are ignored:
 * member ends are derived from offsets instead.
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"name", "type", "size", "modtime", "linkName", "mode", "uid", "gid", "userName", "groupName",
        "offset", "innerOffset", "devMajor", "devMinor", "xattrs", "digest", "chunkOffset", "chunkSize",
        "chunkDigest"})
final class JsonEntry {
    public String name;
    public String type;
    public long size;
    public String modtime;
    public String linkName;
    public long mode;
    public long uid;
    public long gid;
    public String userName;
    public String groupName;
    public long offset;
    public long innerOffset;
    public long devMajor;
    public long devMinor;
    public Map<String, String> xattrs;
    public String digest;
    public long chunkOffset;
    public long chunkSize;
    public String chunkDigest;
}
