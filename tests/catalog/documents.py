"""CivitAI-shaped model documents for tests, built fresh for each use."""

import copy

SHA = "A" * 64
DOCUMENT = {
    "id": 4201,
    "name": "Lumen Photoreal XL",
    "description": "<p>Photoreal SDXL checkpoint.</p>",
    "type": "Checkpoint",
    "poi": False,
    "nsfw": False,
    "nsfwLevel": 1,
    "allowNoCredit": False,
    "allowCommercialUse": ["Image", "Rent"],
    "allowDerivatives": True,
    "allowDifferentLicense": False,
    "mode": None,
    "stats": {
        "downloadCount": 12345,
        "favoriteCount": 50,
        "thumbsUpCount": 40,
        "thumbsDownCount": 2,
        "commentCount": 7,
        "ratingCount": 30,
        "rating": 4.8,
        "tippedAmountCount": 0,
    },
    "creator": {"username": "lumenlabs", "image": "https://image.civitai.com/avatars/l.jpeg"},
    "tags": ["Photorealistic", "base model", "portrait"],
    "modelVersions": [
        {
            "id": 130072,
            "index": 0,
            "name": "v2.0",
            "baseModel": "SDXL 1.0",
            "baseModelType": "Standard",
            "createdAt": "2024-05-01T10:00:00.000Z",
            "publishedAt": "2024-05-02T10:00:00.000Z",
            "updatedAt": "2024-05-03T10:00:00.000Z",
            "trainedWords": [],
            "description": "<p>Sharper skin.</p>",
            "stats": {"downloadCount": 9000, "ratingCount": 20, "rating": 4.9},
            "files": [
                {
                    "id": 555001,
                    "name": "lumenPhotoreal_v20.safetensors",
                    "sizeKB": 6775430.5,
                    "type": "Model",
                    "primary": True,
                    "metadata": {"format": "SafeTensor", "size": "pruned", "fp": "fp16"},
                    "pickleScanResult": "Success",
                    "pickleScanMessage": "No Pickle imports",
                    "virusScanResult": "Success",
                    "scannedAt": "2024-05-02T11:00:00.000Z",
                    "hashes": {
                        "AutoV1": "0123ABCD",
                        "AutoV2": SHA[:10],
                        "SHA256": SHA,
                        "CRC32": "DEADBEEF",
                        "BLAKE3": "b" * 64,
                        "AutoV3": "ABCDEF012345",
                    },
                    "downloadUrl": "https://civitai.com/api/download/models/130072",
                }
            ],
            "images": [
                {
                    "id": 777001,
                    "url": "https://image.civitai.com/x/1.jpeg",
                    "nsfwLevel": 1,
                    "width": 832,
                    "height": 1216,
                    "hash": "U8Ex0s~q00of",
                    "type": "image",
                    "meta": {"prompt": "a lighthouse at dusk", "seed": 1, "steps": 30},
                }
            ],
        },
        {
            "id": 120001,
            "index": 1,
            "name": "v1.0",
            "baseModel": "SDXL 1.0",
            "trainedWords": [],
            "files": [],
            "images": [],
        },
    ],
}


def civitai_document(**changes) -> dict:
    document = copy.deepcopy(DOCUMENT)
    document.update(changes)
    return document
