package main

import (
	"errors"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Jobs run synchronously here: when Immich would queue work, the stand-in
// does it before answering, so every queue always reads as idle.

var (
	queueCommands  = []string{"start", "pause", "resume", "empty", "clear-failed"}
	manualJobNames = []string{
		"person-cleanup", "tag-cleanup", "user-cleanup", "memory-cleanup", "memory-create", "backup-database",
		"integrity-missing-files", "integrity-untracked-files", "integrity-checksum-mismatch",
		"integrity-missing-files-refresh", "integrity-untracked-files-refresh", "integrity-checksum-mismatch-refresh",
		"integrity-missing-files-delete-all", "integrity-untracked-files-delete-all", "integrity-checksum-mismatch-delete-all",
	}
)

// GET /api/jobs -> QueuesResponseLegacyDto
func (s *Server) getQueuesLegacy(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	out := map[string]queueLegacyDTO{}
	for _, name := range queueNames {
		out[name] = queueLegacyDTO{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// PUT /api/jobs/{name} {command, force} -> QueueResponseLegacyDto.
// "start" on storageTemplateMigration moves every file to its template path.
func (s *Server) runQueueCommandLegacy(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	name := r.PathValue("name")
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	if !slices.Contains(queueNames, name) {
		v.add("name must be one of the following values: %s", strings.Join(queueNames, ", "))
	}
	command, _ := v.str(b, "command")
	if !slices.Contains(queueCommands, command) {
		v.add("command must be one of the following values: %s", strings.Join(queueCommands, ", "))
	}
	v.boolean(b, "force")
	if err := v.err(); err != nil {
		return err
	}
	if name == "storageTemplateMigration" && command == "start" {
		if err := s.runStorageTemplateMigration(); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, queueLegacyDTO{})
	return nil
}

// POST /api/jobs {name} -> 204. "user-cleanup" removes users whose deletion delay has passed.
func (s *Server) createJob(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	name, _ := v.str(b, "name")
	if !slices.Contains(manualJobNames, name) {
		v.add("name must be one of the following values: %s", strings.Join(manualJobNames, ", "))
	}
	if err := v.err(); err != nil {
		return err
	}
	if name == "user-cleanup" {
		if err := s.runUserCleanup(nowUTC()); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runStorageTemplateMigration is StorageTemplateService.handleMigration.
func (s *Server) runStorageTemplateMigration() error {
	err := s.store.update(func(st *State) error {
		if !st.Config.StorageTemplateEnabled {
			return nil // Immich skips the job when the template is disabled
		}
		for _, a := range st.Assets {
			if owner := st.userByID(a.OwnerID); owner != nil {
				s.applyStorageTemplate(st, a, owner)
			}
		}
		return nil
	})
	removeEmptyDirs(s.store.abs("library"))
	return err
}

// runUserCleanup is the UserDeleteCheck job: users deleted more than
// userDeleteDelay days ago are removed for good.
func (s *Server) runUserCleanup(now time.Time) error {
	var due []string
	_ = s.store.view(func(st *State) error {
		delay := time.Duration(st.Config.UserDeleteDelayDays) * 24 * time.Hour
		for _, u := range st.Users {
			if u.DeletedAt != nil && !u.DeletedAt.Add(delay).After(now) {
				due = append(due, u.ID)
			}
		}
		return nil
	})
	for _, id := range due {
		if err := s.purgeUser(id); err != nil {
			return err
		}
	}
	return nil
}

// purgeUser is Immich's UserDelete job: the user's folders, assets, sessions,
// keys and the user itself are removed.
func (s *Server) purgeUser(id string) error {
	var files, dirs []string
	err := s.store.update(func(st *State) error {
		u := st.userByID(id)
		if u == nil {
			return nil
		}
		for _, a := range st.Assets {
			if a.OwnerID == id {
				files = append(files, a.OriginalPath)
			}
		}
		dirs = []string{libraryFolder(u), path.Join("upload", id), path.Join("profile", id),
			path.Join("thumbs", id), path.Join("encoded-video", id)}
		st.removeUser(id)
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, rel := range files {
		if err := os.Remove(s.store.abs(rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, rel := range dirs {
		if err := os.RemoveAll(s.store.abs(rel)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Printf("purge of user %s left files behind: %v", id, err)
	}
	return nil
}
