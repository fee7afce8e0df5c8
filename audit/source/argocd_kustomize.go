package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securefs "github.com/fluxcd/pkg/kustomize/filesys"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// argoKustomizeOptions are `kustomize build`'s defaults, as Argo CD runs it without
// kustomize.buildOptions: files only from within the kustomization's directory tree, no plugins.
func argoKustomizeOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.PluginConfig = types.DisabledPluginConfig()
	return o
}

// argoKustomizeFS is the repository checked out at root, confined to it, in which the
// kustomization file kfile in dir reads with the Application's kustomize options written in,
// as Argo CD's `kustomize edit` commands write them: set nameprefix, namesuffix and namespace,
// set image, add label and add annotation (refused, as kustomize refuses it, when a key is
// there already and force is not set), with the build environment env substituted
// where Argo CD substitutes it.
func argoKustomizeFS(root, dir, kfile string, o *ArgoKustomize, env argoEnv) (filesys.FileSystem, error) {
	fSys, err := securefs.MakeFsOnDiskSecure(root)
	if err != nil {
		return nil, err
	}
	if o == nil || o.empty() {
		return fSys, nil
	}
	file := filepath.Join(dir, kfile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("reading %s: %w", kfile, err)
	}
	if err := o.apply(&k, env); err != nil {
		return nil, err
	}
	changed, err := yaml.Marshal(&k)
	if err != nil {
		return nil, err
	}
	at, _, err := fSys.CleanedAbs(dir) // the directory as kustomize's loader names it
	if err != nil {
		return nil, err
	}
	return kustomizationFS{FileSystem: fSys, path: at.Join(kfile), data: changed}, nil
}

func (o *ArgoKustomize) empty() bool {
	return o.NamePrefix == "" && o.NameSuffix == "" && o.Namespace == "" && len(o.Images) == 0 &&
		len(o.CommonLabels) == 0 && len(o.CommonAnnotations) == 0
}

// apply writes the options into k as `kustomize edit` does: images and common labels with env
// substituted in their values, common annotations too with CommonAnnotationsEnvsubst.
func (o *ArgoKustomize) apply(k *types.Kustomization, env argoEnv) error {
	if o.NamePrefix != "" {
		k.NamePrefix = o.NamePrefix
	}
	if o.NameSuffix != "" {
		k.NameSuffix = o.NameSuffix
	}
	var err error
	for _, img := range o.Images {
		if k.Images, err = setImage(k.Images, env.subst(img)); err != nil {
			return err
		}
	}
	if k.CommonLabels, err = addAll(k.CommonLabels, substValues(o.CommonLabels, env), o.ForceCommonLabels, "label"); err != nil {
		return err
	}
	annotations := o.CommonAnnotations
	if o.CommonAnnotationsEnvsubst {
		annotations = substValues(annotations, env)
	}
	if k.CommonAnnotations, err = addAll(k.CommonAnnotations, annotations, o.ForceCommonAnnotations, "annotation"); err != nil {
		return err
	}
	if o.Namespace != "" {
		k.Namespace = o.Namespace
	}
	return nil
}

// setImage is `kustomize edit set image arg` (kustomize 5.8): arg, "name=newName[:tag][@digest]"
// or "name[:tag][@digest]", replaces the entry for its name whole; "*" as newName, tag or
// digest keeps the entry's (none for a new entry).
func setImage(images []types.Image, arg string) ([]types.Image, error) {
	img := types.Image{}
	key, value, renamed := strings.Cut(arg, "=")
	if !renamed {
		key, value = "", arg
	}
	name, tag, digest := util.SplitImageName(value)
	if name == arg {
		return nil, fmt.Errorf("kustomize.images %q: neither a tag, a digest nor a new name (kustomize edit set image refuses it)", arg)
	}
	img.NewTag, img.Digest = tag, digest
	if key == "" {
		img.Name = name
	} else {
		img.Name, img.NewName = key, name
	}
	keep := func(v, old string) string {
		if v == "*" {
			return old
		}
		return v
	}
	for i, old := range images {
		if old.Name == img.Name {
			img.NewName, img.NewTag, img.Digest = keep(img.NewName, old.NewName), keep(img.NewTag, old.NewTag), keep(img.Digest, old.Digest)
			images[i] = img
			return images, nil
		}
	}
	img.NewName, img.NewTag, img.Digest = keep(img.NewName, ""), keep(img.NewTag, ""), keep(img.Digest, "")
	return append(images, img), nil
}

// addAll is `kustomize edit add label|annotation [--force]`.
func addAll(to, add map[string]string, force bool, what string) (map[string]string, error) {
	if len(add) == 0 {
		return to, nil
	}
	if to == nil {
		to = map[string]string{}
	}
	for k, v := range add {
		if _, ok := to[k]; ok && !force {
			return nil, fmt.Errorf("%s %s is in the kustomization file already, and force is not set (Argo CD's kustomize edit refuses it too, whatever its value)", what, k)
		}
		to[k] = v
	}
	return to, nil
}

// substValues is m with env substituted in its values.
func substValues(m map[string]string, env argoEnv) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = env.subst(v)
	}
	return out
}
