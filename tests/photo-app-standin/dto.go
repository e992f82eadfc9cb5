package main

import (
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Response bodies, with the field names of @immich/sdk's DTOs.

type userLicense struct {
	ActivatedAt   string `json:"activatedAt"`
	ActivationKey string `json:"activationKey"`
	LicenseKey    string `json:"licenseKey"`
}

// UserAdminResponseDto
type userAdminDTO struct {
	AvatarColor          string       `json:"avatarColor"`
	ClusterGroupID       string       `json:"clusterGroupId"`
	CreatedAt            string       `json:"createdAt"`
	DeletedAt            *string      `json:"deletedAt"`
	Email                string       `json:"email"`
	ID                   string       `json:"id"`
	IsAdmin              bool         `json:"isAdmin"`
	License              *userLicense `json:"license"`
	Name                 string       `json:"name"`
	OAuthID              string       `json:"oauthId"`
	ProfileChangedAt     string       `json:"profileChangedAt"`
	ProfileImagePath     string       `json:"profileImagePath"`
	QuotaSizeInBytes     *int64       `json:"quotaSizeInBytes"`
	QuotaUsageInBytes    *int64       `json:"quotaUsageInBytes"`
	ShouldChangePassword bool         `json:"shouldChangePassword"`
	Status               string       `json:"status"`
	StorageLabel         *string      `json:"storageLabel"`
	UpdatedAt            string       `json:"updatedAt"`
}

func mapUserAdmin(u *User) userAdminDTO {
	usage := u.QuotaUsageInBytes
	color := u.AvatarColor
	if color == "" {
		color = defaultAvatarColor(u.Email)
	}
	return userAdminDTO{
		AvatarColor:          color,
		ClusterGroupID:       u.ClusterGroupID,
		CreatedAt:            iso(u.CreatedAt),
		DeletedAt:            isoPtr(u.DeletedAt),
		Email:                u.Email,
		ID:                   u.ID,
		IsAdmin:              u.IsAdmin,
		Name:                 u.Name,
		OAuthID:              u.OAuthID,
		ProfileChangedAt:     iso(u.ProfileChangedAt),
		ProfileImagePath:     "",
		QuotaSizeInBytes:     u.QuotaSizeInBytes,
		QuotaUsageInBytes:    &usage,
		ShouldChangePassword: u.ShouldChangePassword,
		Status:               u.Status,
		StorageLabel:         u.StorageLabel,
		UpdatedAt:            iso(u.UpdatedAt),
	}
}

// UserResponseDto
type userDTO struct {
	AvatarColor      string `json:"avatarColor"`
	Email            string `json:"email"`
	ID               string `json:"id"`
	Name             string `json:"name"`
	ProfileChangedAt string `json:"profileChangedAt"`
	ProfileImagePath string `json:"profileImagePath"`
}

func mapUser(u *User) userDTO {
	a := mapUserAdmin(u)
	return userDTO{AvatarColor: a.AvatarColor, Email: u.Email, ID: u.ID, Name: u.Name, ProfileChangedAt: a.ProfileChangedAt}
}

// LoginResponseDto
type loginDTO struct {
	AccessToken          string `json:"accessToken"`
	IsAdmin              bool   `json:"isAdmin"`
	IsOnboarded          bool   `json:"isOnboarded"`
	Name                 string `json:"name"`
	ProfileImagePath     string `json:"profileImagePath"`
	ShouldChangePassword bool   `json:"shouldChangePassword"`
	UserEmail            string `json:"userEmail"`
	UserID               string `json:"userId"`
}

// ApiKeyResponseDto
type apiKeyDTO struct {
	CreatedAt   string   `json:"createdAt"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	UpdatedAt   string   `json:"updatedAt"`
}

func mapAPIKey(k *APIKey) apiKeyDTO {
	return apiKeyDTO{CreatedAt: iso(k.CreatedAt), ID: k.ID, Name: k.Name, Permissions: k.Permissions, UpdatedAt: iso(k.UpdatedAt)}
}

// ApiKeyCreateResponseDto: the key's fields flattened, plus the secret and the key again.
type apiKeyCreateDTO struct {
	apiKeyDTO
	APIKey apiKeyDTO `json:"apiKey"`
	Secret string    `json:"secret"`
}

// AssetResponseDto (the fields an asset without derived metadata has).
type assetDTO struct {
	Checksum         string   `json:"checksum"`
	CreatedAt        string   `json:"createdAt"`
	DuplicateID      *string  `json:"duplicateId"`
	Duration         *float64 `json:"duration"`
	ExifInfo         exifDTO  `json:"exifInfo"`
	FileCreatedAt    string   `json:"fileCreatedAt"`
	FileModifiedAt   string   `json:"fileModifiedAt"`
	HasMetadata      bool     `json:"hasMetadata"`
	Height           *int     `json:"height"`
	ID               string   `json:"id"`
	IsArchived       bool     `json:"isArchived"`
	IsEdited         bool     `json:"isEdited"`
	IsFavorite       bool     `json:"isFavorite"`
	IsOffline        bool     `json:"isOffline"`
	IsTrashed        bool     `json:"isTrashed"`
	LibraryID        *string  `json:"libraryId"`
	LivePhotoVideoID *string  `json:"livePhotoVideoId"`
	LocalDateTime    string   `json:"localDateTime"`
	OriginalFileName string   `json:"originalFileName"`
	OriginalMimeType string   `json:"originalMimeType"`
	OriginalPath     string   `json:"originalPath"`
	Owner            *userDTO `json:"owner,omitempty"`
	OwnerID          string   `json:"ownerId"`
	Thumbhash        *string  `json:"thumbhash"`
	Type             string   `json:"type"`
	UpdatedAt        string   `json:"updatedAt"`
	Visibility       string   `json:"visibility"`
	Width            *int     `json:"width"`
}

type exifDTO struct {
	FileSizeInByte int64 `json:"fileSizeInByte"`
}

func mapAsset(a *Asset, absPath string, owner *User) assetDTO {
	sum, _ := hex.DecodeString(a.Checksum)
	dto := assetDTO{
		Checksum:         base64.StdEncoding.EncodeToString(sum),
		CreatedAt:        iso(a.CreatedAt),
		Duration:         a.Duration,
		ExifInfo:         exifDTO{FileSizeInByte: a.SizeInBytes},
		FileCreatedAt:    iso(a.FileCreatedAt),
		FileModifiedAt:   iso(a.FileModifiedAt),
		ID:               a.ID,
		IsArchived:       a.Visibility == "archive",
		IsFavorite:       a.IsFavorite,
		IsTrashed:        a.DeletedAt != nil,
		LocalDateTime:    iso(a.FileCreatedAt),
		OriginalFileName: a.OriginalFileName,
		OriginalMimeType: a.MimeType,
		OriginalPath:     absPath,
		OwnerID:          a.OwnerID,
		Type:             a.Type,
		UpdatedAt:        iso(a.UpdatedAt),
		Visibility:       a.Visibility,
	}
	if owner != nil {
		u := mapUser(owner)
		dto.Owner = &u
	}
	return dto
}

// UsageByUserDto
type usageByUserDTO struct {
	Photos           int64  `json:"photos"`
	QuotaSizeInBytes *int64 `json:"quotaSizeInBytes"`
	Usage            int64  `json:"usage"`
	UsagePhotos      int64  `json:"usagePhotos"`
	UsageVideos      int64  `json:"usageVideos"`
	UserID           string `json:"userId"`
	UserName         string `json:"userName"`
	Videos           int64  `json:"videos"`
}

// ServerStatsResponseDto
type serverStatsDTO struct {
	Photos      int64            `json:"photos"`
	Usage       int64            `json:"usage"`
	UsageByUser []usageByUserDTO `json:"usageByUser"`
	UsagePhotos int64            `json:"usagePhotos"`
	UsageVideos int64            `json:"usageVideos"`
	Videos      int64            `json:"videos"`
}

// AssetStatsResponseDto
type assetStatsDTO struct {
	Images int64 `json:"images"`
	Total  int64 `json:"total"`
	Videos int64 `json:"videos"`
}

// QueueResponseLegacyDto
type queueLegacyDTO struct {
	JobCounts   queueCountsDTO `json:"jobCounts"`
	QueueStatus queueStatusDTO `json:"queueStatus"`
}

type queueCountsDTO struct {
	Active    int `json:"active"`
	Completed int `json:"completed"`
	Delayed   int `json:"delayed"`
	Failed    int `json:"failed"`
	Paused    int `json:"paused"`
	Waiting   int `json:"waiting"`
}

type queueStatusDTO struct {
	IsActive bool `json:"isActive"`
	IsPaused bool `json:"isPaused"`
}

// queueNames is Immich's QueueName enum.
var queueNames = []string{
	"thumbnailGeneration", "metadataExtraction", "videoConversion", "faceDetection", "facialRecognition",
	"smartSearch", "duplicateDetection", "backgroundTask", "storageTemplateMigration", "migration", "search",
	"sidecar", "library", "notifications", "backupDatabase", "ocr", "workflow", "integrityCheck", "editor",
}

func nowUTC() time.Time { return time.Now().UTC() }
