/**
 * The PL/Python 3 bodies of the path store's SQL functions that move bytes: import(), export() and
 * deduplicate(). They run inside the PostgreSQL server process, so the files they read and write are the
 * database host's; the bytes go through a gateway, whose URL and admin token `shardstore sql-functions install`
 * keeps in the owner-only table `shardstore_gateway`. Every failure is a SQL error with a SQLSTATE a client
 * can test and a message that says what went wrong.
 */

/** Shared by the three functions: settings, one HTTP exchange with the gateway, the gateway's error message. */
const PRELUDE = String.raw`
import errno, http.client, json, os, ssl, stat, urllib.parse

def _settings():
    rows = plpy.execute("SELECT url, token, ca_file, files_under FROM shardstore_gateway")
    if rows.nrows() == 0:
        plpy.error("shardstore: no gateway is set for the SQL functions",
                   hint="run: shardstore sql-functions install --db URL --gateway URL --token-file FILE",
                   sqlstate="55000")
    return rows[0]

def _file_error(verb, path, error):
    # The SQLSTATE says which: no such file, no right to it, or any other I/O failure.
    state = {errno.ENOENT: "58P01", errno.EACCES: "42501", errno.EPERM: "42501", errno.EEXIST: "58P02"}.get(error.errno, "58030")
    plpy.error("shardstore: cannot %s %s: %s" % (verb, path, error.strerror or error), sqlstate=state)

def _check_allowed(settings, path, verb):
    # With --files-under, the functions touch files below those directories only (symbolic links resolved).
    roots = settings["files_under"]
    if not roots:
        return
    real = os.path.realpath(path)
    for root in roots:
        if real == root or real.startswith(root.rstrip("/") + "/"):
            return
    plpy.error("shardstore: %s is outside the directories the SQL functions may %s: %s" % (path, verb, ", ".join(roots)),
               hint="shardstore sql-functions install --files-under DIR sets them", sqlstate="42501")

def _exchange(settings, method, path, body=None, length=None):
    url = urllib.parse.urlsplit(settings["url"])
    if url.scheme == "https":
        context = ssl.create_default_context(cafile=settings["ca_file"]) if settings["ca_file"] else ssl.create_default_context()
        connection = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=300, context=context, blocksize=1 << 20)
    else:
        connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=300, blocksize=1 << 20)
    headers = {"Authorization": "Bearer " + settings["token"]}
    if length is not None:
        headers["Content-Length"] = str(length)
    sent = None
    try:
        connection.request(method, url.path.rstrip("/") + path, body=body, headers=headers)
    except (OSError, http.client.HTTPException) as error:
        # The gateway may answer before it has read the whole body (an existing key): its answer counts.
        sent = error
    except BaseException:
        # The body itself failed (a file that shrank): the connection closes, the gateway drops the upload.
        connection.close()
        raise
    try:
        if sent is not None and connection.sock is None:
            raise sent
        return connection, connection.getresponse()
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        plpy.error("shardstore: the gateway at %s cannot be reached: %s" % (settings["url"], sent or error), sqlstate="08006")

def _failure(response, what):
    text = response.read().decode("utf-8", "replace")
    try:
        message = json.loads(text).get("message") or text
    except ValueError:
        message = text
    state = {400: "22023", 401: "28000", 403: "42501", 404: "P0002", 405: "23505", 503: "57P03"}.get(response.status, "58000")
    plpy.error("shardstore: %s: the gateway answered %d: %s" % (what, response.status, message.strip()), sqlstate=state)

def _admin_json(method, path, what):
    connection, response = _exchange(_settings(), method, path)
    try:
        if response.status != 200:
            _failure(response, what)
        return json.loads(response.read())
    finally:
        connection.close()

def _key_path(key):
    return "/" + "/".join(urllib.parse.quote(part, safe="") for part in key.split("/"))
`;

const IMPORT = String.raw`
settings = _settings()
_check_allowed(settings, path, "read")
try:
    source = open(path, "rb")
except OSError as error:
    _file_error("read", path, error)
try:
    info = os.fstat(source.fileno())
    if not stat.S_ISREG(info.st_mode):
        plpy.error("shardstore: cannot read %s: not a regular file" % path, sqlstate="58030")

    class ReadFailed(Exception):
        pass

    class Exact:
        # Sends the size announced and no other: a file that shrinks while it is read ends the upload, and
        # the gateway, seeing the body cut short, keeps nothing of it.
        def __init__(self):
            self.left = info.st_size
        def read(self, size=-1):
            try:
                chunk = source.read(min(size, self.left) if size >= 0 else self.left)
            except OSError as error:
                raise ReadFailed(error.strerror or str(error))
            if not chunk and self.left > 0:
                raise ReadFailed("it shrank while it was read")
            self.left -= len(chunk)
            return chunk

    try:
        connection, response = _exchange(settings, "POST", _key_path(key), Exact(), info.st_size)
    except ReadFailed as failure:
        plpy.error("shardstore: cannot read %s: %s; nothing was stored" % (path, failure), sqlstate="58030")
    try:
        if response.status == 405:
            response.read()
            plpy.error("shardstore: an object already exists at key '%s'" % key,
                       detail="path-API keys are written once", sqlstate="23505")
        if response.status != 201:
            _failure(response, "import of %s" % path)
        stored = json.loads(response.read())
        return (stored["size"], stored["sha256"])
    finally:
        connection.close()
finally:
    source.close()
`;

const EXPORT = String.raw`
settings = _settings()
_check_allowed(settings, os.path.dirname(os.path.abspath(path)), "write")
if os.path.lexists(path):
    plpy.error("shardstore: cannot write %s: the file exists" % path, hint="export writes a new file only", sqlstate="58P02")
connection, response = _exchange(settings, "GET", _key_path(key))
try:
    if response.status == 404:
        response.read()
        plpy.error("shardstore: no object at key '%s'" % key, sqlstate="P0002")
    if response.status != 200:
        _failure(response, "export of '%s'" % key)
    expected = int(response.getheader("Content-Length", "-1"))
    # Written under a temporary name and renamed when whole and synced: a failed export leaves no file.
    partial = "%s.partial-%d" % (path, os.getpid())
    try:
        target = open(partial, "xb")
    except OSError as error:
        _file_error("write", path, error)
    written = 0
    try:
        with target:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                target.write(chunk)
                written += len(chunk)
            target.flush()
            os.fsync(target.fileno())
        if expected >= 0 and written != expected:
            plpy.error("shardstore: the download of '%s' ended after %d of %d bytes" % (key, written, expected), sqlstate="58030")
        os.link(partial, path)
    except OSError as error:
        _file_error("write", path, error)
    finally:
        try:
            os.unlink(partial)
        except OSError:
            pass
    return written
finally:
    connection.close()
`;

const DEDUPLICATE = String.raw`
summary = _admin_json("POST", "/_dedupe", "deduplicate")
return (summary["groups"], summary["objectsShared"], summary["shardsFreed"], summary["bytesFreed"], summary["durationMs"])
`;

/** Run once by the installer, from the database host: the gateway answers and takes the token. */
const CHECK = String.raw`
_admin_json("GET", "/_nodes", "checking the gateway")
`;

/** The function bodies, each with the shared prelude (PL/Python functions share no module). */
export const PYTHON_BODIES = {
  import: PRELUDE + IMPORT,
  export: PRELUDE + EXPORT,
  deduplicate: PRELUDE + DEDUPLICATE,
  check: PRELUDE + CHECK,
} as const;
