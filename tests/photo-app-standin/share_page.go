package main

import (
	"html/template"
	"net/http"
	"net/url"
)

// sharePage is the web app's page for a link, /share/{key} (or /s/{slug}), for a
// visitor without an account: what the link shows, server-rendered so it works
// without script. A protected link first asks for its password (a form posting
// back here, which sets the same cookie as POST /api/shared-links/login). An
// unknown or expired key is 404 "Invalid share key".
func (s *Server) sharePage(w http.ResponseWriter, r *http.Request) {
	key, slug := r.PathValue("key"), r.PathValue("slug")
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")

	var view sharePageView
	status := http.StatusOK
	_ = s.store.view(func(st *State) error {
		l := st.sharedLinkByKey(key, slug)
		if l == nil || linkExpired(l, nowUTC()) || st.activeUser(l.UserID) == nil {
			status, view.Error = http.StatusNotFound, "Invalid share key"
			return nil
		}
		view.Key = l.Key
		if l.PasswordHash != "" && !linkTokenValid(r, l) {
			if r.Method == http.MethodPost {
				_ = r.ParseForm()
				if checkPassword(r.PostFormValue("password"), l.PasswordHash) {
					setLinkCookie(w, r, linkToken(l))
					view.Redirect = r.URL.Path
					return nil
				}
				view.Error = "Invalid password"
			}
			status, view.NeedsPassword = http.StatusUnauthorized, true
			return nil
		}
		dto := s.mapSharedLink(st, l, "", true)
		view.Title = "Shared photos"
		if dto.Description != nil && *dto.Description != "" {
			view.Title = *dto.Description
		} else if dto.Album != nil {
			view.Title = dto.Album.AlbumName
		}
		view.AllowDownload = dto.AllowDownload
		for _, as := range dto.Assets {
			view.Assets = append(view.Assets, shareAsset{ID: as.ID, Name: as.OriginalFileName,
				Download: "/api/assets/" + as.ID + "/original?key=" + url.QueryEscape(l.Key)})
		}
		return nil
	})
	if view.Redirect != "" {
		http.Redirect(w, r, view.Redirect, http.StatusSeeOther)
		return
	}
	w.WriteHeader(status)
	_ = sharePageTemplate.Execute(w, view)
}

type shareAsset struct{ ID, Name, Download string }

type sharePageView struct {
	Key, Title, Error, Redirect  string
	NeedsPassword, AllowDownload bool
	Assets                       []shareAsset
}

var sharePageTemplate = template.Must(template.New("share").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Title}}{{.Title}}{{else}}Immich{{end}}</title><link rel="stylesheet" href="/_app/standin.css"></head>
<body><main>
{{if .NeedsPassword}}<h1>Password required</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="off" required><button type="submit">Submit</button></form>
{{else if .Error}}<h1>{{.Error}}</h1><p>This link has expired or does not exist.</p>
{{else}}<h1 id="share-title">{{.Title}}</h1>
<p id="share-count">{{len .Assets}} item(s)</p>
<ul>{{range .Assets}}<li data-asset-id="{{.ID}}">{{if $.AllowDownload}}<a href="{{.Download}}">{{if .Name}}{{.Name}}{{else}}{{.ID}}{{end}}</a>{{else}}{{.ID}}{{end}}</li>{{end}}</ul>
{{end}}
</main></body></html>
`))
