package main

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// --- upload: POST /api/assets (multipart/form-data, AssetMediaCreateDto) ---

// uploadForm is what the multipart body carried.
type uploadForm struct {
	fields   map[string]string
	tmpPath  string // assetData, written to a temporary file
	partName string // the file name on the assetData part ("blob" from the SDK)
	size     int64
	sha1     string // hex
}

func (f *uploadForm) cleanup() {
	if f.tmpPath != "" {
		os.Remove(f.tmpPath)
	}
}

// uploadAsset mirrors AssetMediaService.uploadAsset: an x-immich-checksum
// header that matches an existing asset answers "duplicate" before the body is
// read; otherwise the quota is checked first, then the checksum, as in Immich.
func (s *Server) uploadAsset(w http.ResponseWriter, r *http.Request, a *Auth) error {
	// A visitor uploads through a link only when it allows it; the photo lands in the link owner's library
	// (Immich's asset.upload for a shared link), and the web client then adds it to the link's album.
	if a.SharedLink != nil && !a.SharedLink.AllowUpload {
		return accessDenied("asset.upload")
	}
	if sum := r.Header.Get("x-immich-checksum"); sum != "" {
		if id := s.duplicateOf(a.UserID, checksumHex(sum)); id != "" {
			writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": "duplicate"})
			return nil
		}
	}

	form, err := s.readUploadForm(r, a.UserID)
	defer form.cleanup()
	if err != nil {
		return err
	}
	in, err := parseAssetMediaCreate(form)
	if err != nil {
		return err
	}

	var out map[string]string
	status := http.StatusCreated
	err = s.store.update(func(st *State) error {
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		if u.QuotaSizeInBytes != nil && *u.QuotaSizeInBytes < u.QuotaUsageInBytes+form.size {
			return badRequest("Quota has been exceeded!")
		}
		if dup := st.assetByChecksum(u.ID, form.sha1); dup != nil {
			out, status = map[string]string{"id": dup.ID, "status": "duplicate"}, http.StatusOK
			return nil
		}
		now := nowUTC()
		asset := &Asset{
			ID: newUUID(), OwnerID: u.ID, DeviceAssetID: in.deviceAssetID, DeviceID: in.deviceID,
			Type: in.assetType, OriginalFileName: in.filename, MimeType: in.mimeType,
			Checksum: form.sha1, SizeInBytes: form.size, IsFavorite: in.isFavorite, Visibility: in.visibility,
			Duration: in.duration, FileCreatedAt: in.fileCreatedAt, FileModifiedAt: in.fileModifiedAt,
			CreatedAt: now, UpdatedAt: now,
		}
		// Where Immich's upload interceptor writes the file ...
		asset.OriginalPath = path.Join("upload", u.ID, asset.ID[0:2], asset.ID[2:4], asset.ID+in.ext)
		if err := s.moveFile(form.tmpPath, asset.OriginalPath); err != nil {
			return err
		}
		form.tmpPath = ""
		_ = os.Chtimes(s.store.abs(asset.OriginalPath), now, in.fileModifiedAt)
		// ... and where the storage template job then moves it.
		if st.Config.StorageTemplateEnabled {
			s.applyStorageTemplate(st, asset, u)
		}
		st.Assets = append(st.Assets, asset)
		u.QuotaUsageInBytes += form.size
		out = map[string]string{"id": asset.ID, "status": "created"}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) duplicateOf(userID, checksum string) string {
	var id string
	_ = s.store.view(func(st *State) error {
		if a := st.assetByChecksum(userID, checksum); a != nil {
			id = a.ID
		}
		return nil
	})
	return id
}

// checksumHex accepts Immich's two spellings of a sha1: base64 (28 chars) or hex.
func checksumHex(sum string) string {
	if len(sum) == 28 {
		if b, err := base64.StdEncoding.DecodeString(sum); err == nil {
			return hex.EncodeToString(b)
		}
	}
	return strings.ToLower(sum)
}

// readUploadForm streams the multipart body: the assetData part goes to a
// temporary file next to its final place (so the rename is cheap) while its
// sha1 and size are computed; text fields are kept; other parts are drained.
func (s *Server) readUploadForm(r *http.Request, userID string) (*uploadForm, error) {
	form := &uploadForm{fields: map[string]string{}}
	mr, err := r.MultipartReader()
	if err != nil {
		return form, badRequest("Multipart: Boundary not found")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return form, badRequest("Multipart: Unexpected end of form")
		}
		name := part.FormName()
		switch {
		case name == "assetData" && form.tmpPath == "":
			dir := s.store.abs(path.Join("upload", userID))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return form, err
			}
			tmp, err := os.CreateTemp(dir, ".upload-*")
			if err != nil {
				return form, err
			}
			form.tmpPath, form.partName = tmp.Name(), part.FileName()
			h := sha1.New()
			n, err := io.Copy(io.MultiWriter(tmp, h), part)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return form, badRequest("Unable to read assetData: " + err.Error())
			}
			form.size, form.sha1 = n, hex.EncodeToString(h.Sum(nil))
		case part.FileName() != "" || name == "sidecarData" || name == "metadata":
			_, _ = io.Copy(io.Discard, part) // sidecars and JSON blobs are not kept
		default:
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return form, badRequest("Multipart: Unexpected end of form")
			}
			form.fields[name] = string(v)
		}
		part.Close()
	}
	return form, nil
}

type assetCreate struct {
	deviceAssetID, deviceID       string
	filename, ext                 string
	assetType, mimeType           string
	isFavorite                    bool
	visibility                    string
	duration                      *float64
	fileCreatedAt, fileModifiedAt time.Time
}

var visibilities = []string{"archive", "timeline", "hidden", "locked"}

// parseAssetMediaCreate validates the text fields like class-validator would.
func parseAssetMediaCreate(form *uploadForm) (*assetCreate, error) {
	if form.tmpPath == "" {
		return nil, badRequest("Files must not be empty")
	}
	f := form.fields
	v := &validator{}
	in := &assetCreate{deviceAssetID: f["deviceAssetId"], deviceID: f["deviceId"], visibility: "timeline"}
	var ok bool
	if in.fileCreatedAt, ok = parseDate(f["fileCreatedAt"]); !ok {
		v.add("fileCreatedAt must be a Date instance")
	}
	if in.fileModifiedAt, ok = parseDate(f["fileModifiedAt"]); !ok {
		v.add("fileModifiedAt must be a Date instance")
	}
	if s, has := f["isFavorite"]; has {
		switch s {
		case "true":
			in.isFavorite = true
		case "false":
		default:
			v.add("isFavorite must be a boolean value")
		}
	}
	if s, has := f["visibility"]; has {
		in.visibility = s
		if !slices.Contains(visibilities, s) {
			v.add("visibility must be one of the following values: %s", strings.Join(visibilities, ", "))
		}
	}
	if s := f["duration"]; s != "" {
		if d, err := strconv.ParseFloat(s, 64); err == nil {
			in.duration = &d
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	in.filename = f["filename"]
	if in.filename == "" {
		in.filename = form.partName
	}
	in.ext = filepath.Ext(in.filename)
	kind, mimeType := assetKind(in.ext)
	if kind == "" {
		return nil, badRequest("Unsupported file type " + in.filename)
	}
	in.assetType, in.mimeType = kind, mimeType
	return in, nil
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Extensions Immich accepts as assets (a representative subset of its mime-types table).
var (
	imageExts = map[string]string{
		".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
		".webp": "image/webp", ".avif": "image/avif", ".heic": "image/heic", ".heif": "image/heif", ".hif": "image/hif",
		".tif": "image/tiff", ".tiff": "image/tiff", ".bmp": "image/bmp", ".jxl": "image/jxl", ".jp2": "image/jp2",
		".svg": "image/svg", ".psd": "image/vnd.adobe.photoshop", ".dng": "image/dng", ".arw": "image/x-sony-arw",
		".cr2": "image/x-canon-cr2", ".cr3": "image/x-canon-cr3", ".nef": "image/x-nikon-nef", ".orf": "image/x-olympus-orf",
		".raf": "image/x-fuji-raf", ".rw2": "image/x-panasonic-rw2", ".raw": "image/x-panasonic-raw", ".insp": "image/jpeg",
	}
	videoExts = map[string]string{
		".mp4": "video/mp4", ".m4v": "video/x-m4v", ".mov": "video/quicktime", ".qt": "video/quicktime",
		".3gp": "video/3gpp", ".3gpp": "video/3gpp", ".avi": "video/avi", ".mkv": "video/x-matroska", ".webm": "video/webm",
		".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".mpe": "video/mpeg", ".mts": "video/mp2t", ".m2ts": "video/mp2t",
		".m2t": "video/mp2t", ".wmv": "video/x-ms-wmv", ".flv": "video/x-flv", ".vob": "video/mpeg", ".insv": "video/mp4",
	}
)

func assetKind(ext string) (kind, mimeType string) {
	ext = strings.ToLower(ext)
	if m, ok := imageExts[ext]; ok {
		return "IMAGE", m
	}
	if m, ok := videoExts[ext]; ok {
		return "VIDEO", m
	}
	return "", ""
}

// --- reading and deleting assets ---

// ownAsset finds an asset the caller owns; anything else is Immich's access error.
func ownAsset(st *State, a *Auth, id, permission string) (*Asset, error) {
	asset := st.assetByID(id)
	if asset == nil || asset.OwnerID != a.UserID {
		return nil, badRequest("Not found or no " + permission + " access")
	}
	return asset, nil
}

func (s *Server) getAssetInfo(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var out assetDTO
	err = s.store.view(func(st *State) error {
		asset, err := readableAsset(st, a, id, "asset.read")
		if err != nil {
			return err
		}
		out = mapAsset(asset, s.store.abs(asset.OriginalPath), st.userByID(asset.OwnerID))
		if a.SharedLink != nil {
			out.OriginalPath, out.Owner = "", nil
			if !a.SharedLink.ShowMetadata {
				out = stripMetadata(out)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) downloadAsset(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var asset Asset
	err = s.store.view(func(st *State) error {
		found, err := readableAsset(st, a, id, "asset.download")
		if err == nil {
			asset = *found
		}
		return err
	})
	if err != nil {
		return err
	}
	f, err := os.Open(s.store.abs(asset.OriginalPath))
	if err != nil {
		return notFound("Asset media not found")
	}
	defer f.Close()
	w.Header().Set("Content-Type", asset.MimeType)
	w.Header().Set("Cache-Control", "private, max-age=86400, no-transform")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": asset.OriginalFileName}))
	http.ServeContent(w, r, "", asset.FileModifiedAt, f)
	return nil
}

// deleteAssets: DELETE /api/assets {ids, force}. Without force (and with the
// trash on) assets go to the trash and still count against the quota; with
// force their files are removed and the owner's usage goes down.
func (s *Server) deleteAssets(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	var ids []string
	if err := json.Unmarshal(b["ids"], &ids); err != nil || !b.has("ids") {
		v.add("each value in ids must be a UUID")
	}
	for _, id := range ids {
		if !isUUID(id) {
			v.add("each value in ids must be a UUID")
			break
		}
	}
	force, _ := v.boolean(b, "force")
	if err := v.err(); err != nil {
		return err
	}
	var removed []string
	err = s.store.update(func(st *State) error {
		targets := make([]*Asset, 0, len(ids))
		for _, id := range ids {
			asset, err := ownAsset(st, a, id, "asset.delete")
			if err != nil {
				return err
			}
			targets = append(targets, asset)
		}
		now := nowUTC()
		for _, asset := range targets {
			if !force && st.Config.TrashEnabled {
				asset.DeletedAt, asset.UpdatedAt = &now, now
				continue
			}
			if owner := st.userByID(asset.OwnerID); owner != nil {
				owner.QuotaUsageInBytes = max(0, owner.QuotaUsageInBytes-asset.SizeInBytes)
			}
			removed = append(removed, asset.OriginalPath)
			st.Assets = filter(st.Assets, func(x *Asset) bool { return x.ID != asset.ID })
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, rel := range removed {
		if err := os.Remove(s.store.abs(rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Printf("unable to remove %s: %v", rel, err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getAssetStatistics(w http.ResponseWriter, r *http.Request, a *Auth) error {
	writeJSON(w, http.StatusOK, s.assetStats(a.UserID, r))
	return nil
}

// assetStats counts a user's assets with the isTrashed/isFavorite/visibility filters of AssetStatsDto.
func (s *Server) assetStats(userID string, r *http.Request) assetStatsDTO {
	q := r.URL.Query()
	trashed := q.Get("isTrashed") == "true"
	favorite, visibility := q.Get("isFavorite"), q.Get("visibility")
	var out assetStatsDTO
	_ = s.store.view(func(st *State) error {
		for _, asset := range st.Assets {
			switch {
			case asset.OwnerID != userID,
				(asset.DeletedAt != nil) != trashed,
				favorite != "" && strconv.FormatBool(asset.IsFavorite) != favorite,
				visibility != "" && asset.Visibility != visibility,
				visibility == "" && (asset.Visibility == "hidden" || asset.Visibility == "locked"):
				continue
			}
			out.Total++
			if asset.Type == "IMAGE" {
				out.Images++
			} else if asset.Type == "VIDEO" {
				out.Videos++
			}
		}
		return nil
	})
	return out
}

// --- files on disk ---

// moveFile renames src (absolute) to dst (relative to the media location).
func (s *Server) moveFile(src, dst string) error {
	abs := s.store.abs(dst)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	return os.Rename(src, abs)
}

// libraryFolder is Immich's StorageCore.getLibraryFolder: library/<storage label or user id>.
func libraryFolder(u *User) string {
	if u.StorageLabel != nil && *u.StorageLabel != "" {
		return path.Join("library", *u.StorageLabel)
	}
	return path.Join("library", u.ID)
}

var templateToken = regexp.MustCompile(`\{\{\s*([A-Za-z]+)\s*\}\}`)

// templateTokens are the storage template variables the stand-in renders.
var templateTokens = map[string]func(a *Asset, filename, ext string) string{
	"y":        func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("2006") },
	"yy":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("06") },
	"MM":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("01") },
	"M":        func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("1") },
	"MMM":      func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("Jan") },
	"MMMM":     func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("January") },
	"dd":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("02") },
	"d":        func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("2") },
	"HH":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("15") },
	"mm":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("04") },
	"ss":       func(a *Asset, _, _ string) string { return a.FileCreatedAt.Format("05") },
	"filename": func(_ *Asset, f, _ string) string { return f },
	"ext":      func(_ *Asset, _, e string) string { return e },
	"filetype": func(a *Asset, _, _ string) string {
		return map[bool]string{true: "IMG", false: "VID"}[a.Type == "IMAGE"]
	},
	"filetypefull": func(a *Asset, _, _ string) string {
		return map[bool]string{true: "IMAGE", false: "VIDEO"}[a.Type == "IMAGE"]
	},
	"assetId":      func(a *Asset, _, _ string) string { return a.ID },
	"assetIdShort": func(a *Asset, _, _ string) string { return a.ID[len(a.ID)-12:] },
	"album":        func(_ *Asset, _, _ string) string { return "." },
}

func validateTemplate(tpl string) error {
	for _, m := range templateToken.FindAllStringSubmatch(tpl, -1) {
		if _, ok := templateTokens[m[1]]; !ok {
			return fmt.Errorf("Invalid storage template: %q not defined", m[1])
		}
	}
	if strings.Contains(templateToken.ReplaceAllString(tpl, ""), "{{") {
		return errors.New("Invalid storage template: unsupported expression")
	}
	return nil
}

var unsafeFileChars = regexp.MustCompile(`[/\\?<>:*|"\x00-\x1f\x80-\x9f]`)

// templatePath renders where an asset belongs, as StorageTemplateService.getTemplatePath does,
// including the "+1", "+2" suffixes when another file already has that name.
func (s *Server) templatePath(st *State, a *Asset, owner *User) string {
	ext := strings.TrimPrefix(path.Ext(a.OriginalPath), ".")
	name := strings.TrimSuffix(a.OriginalFileName, path.Ext(a.OriginalFileName))
	if name == "" {
		name = a.ID
	}
	name = unsafeFileChars.ReplaceAllString(name, "")
	rendered := templateToken.ReplaceAllStringFunc(st.Config.StorageTemplate, func(tok string) string {
		key := templateToken.FindStringSubmatch(tok)[1]
		if fn, ok := templateTokens[key]; ok {
			return fn(a, name, ext)
		}
		return ""
	})
	root := libraryFolder(owner)
	full := path.Clean(path.Join(root, rendered))
	if !strings.HasPrefix(full, root+"/") {
		return a.OriginalPath
	}
	dest := full + "." + ext
	if dest == a.OriginalPath {
		return dest
	}
	// Already at "<name>+N.<ext>" in the right folder: leave it there.
	if strings.HasPrefix(a.OriginalPath, full) && strings.HasSuffix(a.OriginalPath, "."+ext) {
		diff := strings.TrimSuffix(strings.TrimPrefix(a.OriginalPath, full), "."+ext)
		if regexp.MustCompile(`^\+\d+$`).MatchString(diff) {
			return a.OriginalPath
		}
	}
	for n := 1; ; n++ {
		if _, err := os.Stat(s.store.abs(dest)); errors.Is(err, os.ErrNotExist) {
			return dest
		}
		dest = fmt.Sprintf("%s+%d.%s", full, n, ext)
	}
}

// applyStorageTemplate moves one asset's file to its template path (lock held).
func (s *Server) applyStorageTemplate(st *State, a *Asset, owner *User) {
	dest := s.templatePath(st, a, owner)
	if dest == a.OriginalPath {
		return
	}
	if err := s.moveFile(s.store.abs(a.OriginalPath), dest); err != nil {
		s.log.Printf("storage template: unable to move asset %s: %v", a.ID, err)
		return
	}
	a.OriginalPath = dest
}

// removeEmptyDirs deletes empty folders below root (not root itself).
func removeEmptyDirs(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			sub := filepath.Join(root, e.Name())
			removeEmptyDirs(sub)
			_ = os.Remove(sub) // fails (and is ignored) when not empty
		}
	}
}

// --- POST /api/assets/bulk-upload-check (AssetBulkUploadCheckDto) ---

// checkBulkUpload is AssetMediaService.bulkUploadCheck: each item's sha1
// (base64 or hex) is looked up among the caller's assets, trashed ones
// included; a match is "reject"/"duplicate" with the asset id, else "accept".
func (s *Server) checkBulkUpload(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	type item struct {
		ID       *string `json:"id"`
		Checksum *string `json:"checksum"`
	}
	var items []item
	v := &validator{}
	if !b.has("assets") || b.isNull("assets") {
		v.add("assets must be an array")
	} else if err := json.Unmarshal(b["assets"], &items); err != nil {
		v.add("assets must be an array")
	}
	for i, it := range items {
		if it.ID == nil {
			v.add("assets.%d.id must be a string", i)
		}
		if it.Checksum == nil {
			v.add("assets.%d.checksum must be a string", i)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	results := make([]map[string]any, 0, len(items))
	_ = s.store.view(func(st *State) error {
		for _, it := range items {
			dup := st.assetByChecksum(a.UserID, checksumHex(*it.Checksum))
			if dup == nil {
				results = append(results, map[string]any{"id": *it.ID, "action": "accept"})
				continue
			}
			results = append(results, map[string]any{
				"id": *it.ID, "action": "reject", "reason": "duplicate", "assetId": dup.ID, "isTrashed": dup.DeletedAt != nil,
			})
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
	return nil
}
