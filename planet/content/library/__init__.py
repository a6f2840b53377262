"""The planet's file library (文件): documents, archives, audio and video members share, on the
Files tab and attached to topics; checked by their content, stored privately, downloaded only
through the access policy, with a thumbnail of PDFs and images and a download count."""
