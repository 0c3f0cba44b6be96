import BackofficeAPI

extension AccessPolicy {
    /// The content service (content.proto): editors write with `content.write`, publish with
    /// `content.publish`; the front office reads `PublicContent` without logging in.
    static let content: [MethodRule] = [
        MethodRule(Content.ItemsService.createItem, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.ItemsService.getItem, .permission(.contentRead), readOnly: true),
        MethodRule(Content.ItemsService.updateItem, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.ItemsService.trashItem, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.ItemsService.restoreItem, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.ItemsService.purgeItem, .permission(.contentPublish), readOnly: false),
        MethodRule(Content.ItemsService.searchItems, .permission(.contentRead), readOnly: true),
        MethodRule(Content.RevisionsService.listRevisions, .permission(.contentRead), readOnly: true),
        MethodRule(Content.RevisionsService.getRevision, .permission(.contentRead), readOnly: true),
        MethodRule(Content.RevisionsService.compareRevisions, .permission(.contentRead), readOnly: true),
        MethodRule(Content.RevisionsService.revertItem, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.WorkflowService.publishItem, .permission(.contentPublish), readOnly: false),
        MethodRule(Content.WorkflowService.scheduleItem, .permission(.contentPublish), readOnly: false),
        MethodRule(Content.WorkflowService.unpublishItem, .permission(.contentPublish), readOnly: false),
        MethodRule(Content.WorkflowService.archiveItem, .permission(.contentPublish), readOnly: false),
        MethodRule(Content.MediaService.uploadMedia, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.MediaService.downloadMedia, .permission(.contentRead), readOnly: true),
        MethodRule(Content.MediaService.getMedia, .permission(.contentRead), readOnly: true),
        MethodRule(Content.MediaService.listMedia, .permission(.contentRead), readOnly: true),
        MethodRule(Content.MediaService.whereUsed, .permission(.contentRead), readOnly: true),
        MethodRule(Content.MediaService.deleteMedia, .permission(.contentWrite), readOnly: false),
        MethodRule(Content.SiteConfigService.getSiteConfig, .permission(.configRead), readOnly: true),
        MethodRule(Content.SiteConfigService.updateSiteConfig, .permission(.configWrite), readOnly: false),
        MethodRule(Content.SiteConfigService.listSiteConfigHistory, .permission(.configRead), readOnly: true),
        MethodRule(Content.SiteConfigService.rollbackSiteConfig, .permission(.configWrite), readOnly: false),
        MethodRule(Content.PublicContentService.getPublishedItem, .public, readOnly: true),
        MethodRule(Content.PublicContentService.listPublishedItems, .public, readOnly: true),
        MethodRule(Content.PublicContentService.getPublicSiteConfig, .public, readOnly: true),
    ]
}
